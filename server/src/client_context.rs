//! Per-request context every handler and server function relies on: who the client is (see
//! `app::server::identity::client`, believing forwarding headers only from `TRUSTED_PROXIES`), and the
//! slot where authenticating the session leaves a renewed cookie, added to the response here,
//! and the page's session, looked up once, before a page renders.

use std::net::SocketAddr;

use app::server::{
    identity::client::resolve,
    identity::session_cookie::{CookieRenewal, SESSION_COOKIE},
    identity::sessions::PageSession,
    state::AppState,
};
use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, Method},
    middleware::Next,
    response::Response,
};

pub async fn client_context(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    // In-process tests have no peer; they get no ClientInfo, and the client counts as "unknown".
    if let Some(peer) = peer {
        let info = resolve(
            peer,
            request.headers(),
            &state.security.trusted_proxies,
            state.security.public_https(),
        );
        request.extensions_mut().insert(info);
    }
    let renewal = CookieRenewal::default();
    request.extensions_mut().insert(renewal.clone());
    request.extensions_mut().insert(PageSession::default());
    let mut response = next.run(request).await;
    if let Some(cookie) = renewal.take() {
        // A response that sets the session cookie itself (sign-in, sign-out) has the last word.
        let sets_session = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|value| {
                value
                    .as_bytes()
                    .starts_with(format!("{SESSION_COOKIE}=").as_bytes())
            });
        if !sets_session {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    response
}

/// Looks a page's session up, with the header's banner, before the page renders (around the
/// page routes): the layout reads who is signed in from it without waiting, and the page's
/// own data finds it memoised (`PageSession`). Other methods pass through: they look their
/// session up themselves.
pub async fn look_up_page_session(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    look_up(&state, &parts).await;
    next.run(Request::from_parts(parts, body)).await
}

/// The look-up itself, for reads (GET, HEAD). When it fails the page renders as for a visitor
/// and its data load, which looks again, reports the error.
pub async fn look_up(state: &AppState, parts: &axum::http::request::Parts) {
    if !matches!(parts.method, Method::GET | Method::HEAD) {
        return;
    }
    if let Err(error) = PageSession::authenticate(&state.store, parts, state.session_ttl_secs).await
    {
        tracing::warn!(%error, "looking up a page's session failed");
    }
}
