//! What server functions need from the request: the application state, the session, the
//! client address, and a way to set cookies on the response.

use http::{header, request::Parts};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::{
    functions::error::PortalError,
    server::{
        error::ServiceError,
        identity::accounts::SignedIn,
        identity::client::Caller,
        identity::session_cookie::{device_cookie, session_cookie},
        identity::sessions::{self, Session},
        state::AppState,
    },
};

/// Converts a service error for a page, and gives the server function's HTTP response the
/// matching status (400, 401, 404, 429, 500) instead of the generic 500 of server functions.
/// A plain form post (no JavaScript) keeps the redirect back to the form that Leptos answers
/// it with, which carries the error.
impl From<ServiceError> for PortalError {
    fn from(error: ServiceError) -> Self {
        let rendered = error.render();
        if let Some(response) = use_context::<ResponseOptions>().filter(|_| !plain_form_post()) {
            response.set_status(rendered.status);
            for (name, value) in rendered.headers() {
                response.insert_header(name, value);
            }
        }
        PortalError::Rejected {
            message: rendered.message,
            errors: rendered.errors.unwrap_or_default(),
            values: Default::default(),
        }
    }
}

pub fn state() -> Result<AppState, PortalError> {
    use_context::<AppState>()
        .ok_or_else(|| ServiceError::Internal("no application state".to_owned()).into())
}

fn parts() -> Option<Parts> {
    use_context::<Parts>()
}

/// Who is calling (client address, https, device cookie, User-Agent); an unknown client
/// without a request.
pub fn caller() -> Caller {
    parts().map_or_else(
        || Caller {
            client: "unknown".to_owned(),
            https: false,
            device_cookie: None,
            user_agent: String::new(),
        },
        |parts| Caller::of(&parts),
    )
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

/// The session of the current request, if any.
pub async fn session(state: &AppState) -> Result<Option<Session>, PortalError> {
    let Some(parts) = parts() else {
        return Ok(None);
    };
    Ok(sessions::PageSession::authenticate(&state.store, &parts, state.session_ttl_secs).await?)
}

/// Who the header names, when `session` found this page's session together with it.
pub fn page_banner() -> Option<crate::server::store::sessions::MemberBanner> {
    with_context::<Parts, _>(sessions::PageSession::banner).flatten()
}

/// The value of the request's cookie `name`, if it sent one.
pub fn request_cookie(name: &str) -> Option<String> {
    parts().and_then(|parts| {
        crate::server::identity::session_cookie::cookie_value(&parts.headers, name)
    })
}

pub fn set_cookie(value: http::HeaderValue) {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.append_header(header::SET_COOKIE, value);
    }
}

/// Gives the browser the new session's cookie and its device cookie.
pub fn start_session(signed_in: &SignedIn, state: &AppState) {
    let secure = caller().https;
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
