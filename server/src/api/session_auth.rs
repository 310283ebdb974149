//! Who is calling: the session behind an `Authorization: Bearer` token or the session cookie.

use app::server::{
    identity::sessions::{self, Session},
    state::AppState,
};
use axum::{extract::FromRequestParts, http::request::Parts};

use super::envelope::ApiError;

/// The request's session; extracting it answers 401 when there is none.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub session: Session,
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let session = sessions::authenticate_request(
            &state.store,
            &parts.headers,
            &parts.extensions,
            state.session_ttl_secs,
        )
        .await?
        .ok_or_else(sessions::signed_out)?;
        Ok(Authenticated { session })
    }
}
