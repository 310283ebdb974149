//! Who is calling, as the throttles and cookies see them.

use app::server::{
    accounts::Requester,
    client::{client_address, is_https},
    session_cookie::presented_device_cookie,
};
use axum::{extract::FromRequestParts, http::request::Parts};

/// Who is calling, as the throttles see them: the client address (see `client`), whether
/// they came over https, and the device cookie they presented.
pub struct Caller {
    pub client: String,
    pub https: bool,
    pub device_cookie: Option<String>,
}

impl Caller {
    pub fn requester(&self) -> Requester<'_> {
        Requester {
            client: &self.client,
            device_cookie: self.device_cookie.as_deref(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Caller {
            client: client_address(&parts.extensions),
            https: is_https(&parts.extensions),
            device_cookie: presented_device_cookie(&parts.headers),
        })
    }
}
