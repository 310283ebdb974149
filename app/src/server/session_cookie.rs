//! How a request presents its session (bearer header or cookie), the cookie we set, and the
//! client address the throttle counts.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use http::{header, Extensions, HeaderMap, HeaderValue};

/// The browser's copy of the session token.
pub const SESSION_COOKIE: &str = "portal_session";

/// How the token arrived: CSRF checks apply only to the cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    Bearer,
    Cookie,
}

/// The token presented by the request, bearer first.
pub fn presented_token(headers: &HeaderMap) -> Option<(String, Credential)> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_owned())
        });
    if let Some(token) = bearer.filter(|token| !token.is_empty()) {
        return Some((token, Credential::Bearer));
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE && !value.is_empty()).then(|| value.to_owned())
        })
        .map(|token| (token, Credential::Cookie))
}

/// The `Set-Cookie` value that gives the browser the session (HttpOnly, SameSite=Lax, and
/// Secure when the site is served over https).
pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}"
    );
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn expired_session_cookie(secure: bool) -> HeaderValue {
    session_cookie("", 0, secure)
}

/// Whether the client reached us over https (directly or through a proxy that says so).
pub fn is_https(headers: &HeaderMap, scheme: Option<&str>) -> bool {
    scheme == Some("https")
        || headers
            .get("x-forwarded-proto")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.eq_ignore_ascii_case("https"))
}

/// The client's IP address as the sign-in throttle counts it (the TCP peer); "unknown" when the
/// server runs without connect info, as in-process tests do.
pub fn client_address(extensions: &Extensions) -> String {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string())
}
