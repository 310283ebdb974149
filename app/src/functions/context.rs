//! What server functions need from the request: the application state, the session, the
//! client address, and a way to set cookies on the response.

use http::{header, request::Parts};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::{
    functions::error::PortalError,
    server::{
        error::ServiceError,
        session_cookie::{client_address, is_https, presented_token, session_cookie},
        sessions::{self, IssuedToken, Session},
        state::AppState,
    },
};

pub fn state() -> Result<AppState, PortalError> {
    use_context::<AppState>()
        .ok_or_else(|| ServiceError::Internal("no application state".to_owned()).into())
}

fn parts() -> Option<Parts> {
    use_context::<Parts>()
}

pub fn secure() -> bool {
    parts().is_some_and(|parts| is_https(&parts.headers, parts.uri.scheme_str()))
}

/// A form posted by a browser without JavaScript (it asks for HTML back, not JSON).
pub fn plain_form_post() -> bool {
    parts()
        .and_then(|parts| parts.headers.get(header::ACCEPT).cloned())
        .and_then(|accept| {
            accept
                .to_str()
                .ok()
                .map(|accept| accept.contains("text/html"))
        })
        .unwrap_or(false)
}

pub fn client_addr() -> String {
    parts().map_or_else(
        || "unknown".to_owned(),
        |parts| client_address(&parts.extensions),
    )
}

/// The session of the current request, if any.
pub async fn session(state: &AppState) -> Result<Option<Session>, PortalError> {
    let Some((token, _)) = parts().and_then(|parts| presented_token(&parts.headers)) else {
        return Ok(None);
    };
    Ok(sessions::authenticate(&state.pool, &token, state.session_ttl_secs).await?)
}

pub fn set_cookie(value: http::HeaderValue) {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.append_header(header::SET_COOKIE, value);
    }
}

pub fn start_session(issued: &IssuedToken, state: &AppState) {
    set_cookie(session_cookie(
        &issued.token,
        state.session_ttl_secs,
        secure(),
    ));
}

/// The session of the current request; a 401 error for the page when there is none.
pub async fn require_session(state: &AppState) -> Result<Session, PortalError> {
    match session(state).await? {
        Some(session) => Ok(session),
        None => Err(ServiceError::Unauthorized(
            "Your session has ended; sign in again to continue.".to_owned(),
        )
        .into()),
    }
}
