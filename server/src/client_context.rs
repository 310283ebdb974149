//! Per-request context every handler and server function relies on: who the client is (see
//! `app::server::client`, believing forwarding headers only from `TRUSTED_PROXIES`), and the
//! slot where authenticating the session leaves a renewed cookie, added to the response here,
//! and the page's session, looked up once.

use std::net::SocketAddr;

use app::server::{
    client::resolve,
    session_cookie::{CookieRenewal, SESSION_COOKIE},
    sessions::PageSession,
    state::AppState,
};
use axum::{
    extract::{ConnectInfo, Request, State},
    http::header,
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
