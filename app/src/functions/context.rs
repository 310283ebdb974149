//! What server functions need from the request: the application state, the session, the
//! client address, and a way to set cookies on the response.

use http::{header, request::Parts};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::{
    functions::error::PortalError,
    server::{
        accounts::SignedIn,
        client::{client_address, is_https},
        error::ServiceError,
        session_cookie::{device_cookie, presented_device_cookie, session_cookie},
        sessions::{self, Session},
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
    parts().is_some_and(|parts| is_https(&parts.extensions))
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

/// The device cookie the browser presented, if any.
pub fn device_cookie_sent() -> Option<String> {
    parts().and_then(|parts| presented_device_cookie(&parts.headers))
}

/// The session of the current request, if any.
pub async fn session(state: &AppState) -> Result<Option<Session>, PortalError> {
    let Some(parts) = parts() else {
        return Ok(None);
    };
    Ok(sessions::authenticate_request(
        &state.pool,
        &parts.headers,
        &parts.extensions,
        state.session_ttl_secs,
    )
    .await?)
}

pub fn set_cookie(value: http::HeaderValue) {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.append_header(header::SET_COOKIE, value);
    }
}

/// Gives the browser the new session's cookie and its device cookie.
pub fn start_session(signed_in: &SignedIn, state: &AppState) {
    let secure = secure();
    set_cookie(session_cookie(
        &signed_in.session.token,
        state.session_ttl_secs,
        secure,
    ));
    set_cookie(device_cookie(&signed_in.device_cookie, secure));
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
