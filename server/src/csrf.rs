//! Cross-site request forgery guard: a state-changing request that relies on the session cookie
//! must come from a page of this site, as its `Origin` (or, lacking it, `Referer`) shows.
//! Bearer-token requests carry no ambient credential and are not affected.

use axum::{
    extract::Request,
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::Response,
};

use app::server::session_cookie::{presented_token, Credential};

use crate::api::envelope::failure;

pub async fn reject_cross_site_cookie_requests(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let by_cookie = matches!(
        presented_token(request.headers()),
        Some((_, Credential::Cookie))
    );
    if safe || !by_cookie || is_same_origin(request.headers()) {
        return next.run(request).await;
    }
    tracing::warn!(
        method = %request.method(),
        path = %request.uri().path(),
        "refused a cross-site request made with the session cookie"
    );
    failure(
        StatusCode::FORBIDDEN,
        "This request did not come from a page of this site, so it was refused.".to_owned(),
        None,
    )
}

/// Whether the request names this site (the `Host` it was sent to) as its origin.
fn is_same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|value| value.to_str().ok());
    source
        .and_then(authority_of)
        .is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

/// `host[:port]` of an absolute http(s) URL.
fn authority_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|authority| !authority.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authority_is_read_from_origins_and_referers() {
        assert_eq!(
            authority_of("http://127.0.0.1:3000"),
            Some("127.0.0.1:3000")
        );
        assert_eq!(
            authority_of("https://portal.example/profile?x=1"),
            Some("portal.example")
        );
        assert_eq!(authority_of("null"), None);
        assert_eq!(authority_of("ftp://portal.example"), None);
        assert_eq!(authority_of("https://"), None);
    }
}
