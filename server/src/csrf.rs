//! Cross-site request forgery guard: a state-changing request that a browser could have been
//! made to send (everything but bearer-token requests) must come from this site. That covers
//! sign-in and sign-up too (login CSRF: a page elsewhere must not sign a visitor into the
//! attacker's account) and every server function, cookie or not.
//!
//! The browser's word decides, in this order: `Sec-Fetch-Site` (`same-origin`, or `none` for
//! an address the member typed), else `Origin`, else `Referer`, each against the site's public
//! origin (`PUBLIC_URL`; without it, the `Host` the request was sent to). A request with none of
//! them is not from a browser that could be forged into sending it, and passes, unless it
//! carries the session cookie (then something stripped the headers, and it is refused).
//! Bearer-token requests carry no ambient credential and are not affected.

use app::{
    functions::error::PortalError,
    server::{
        identity::session_cookie::{presented_token, Credential},
        state::AppState,
    },
};
use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};

use crate::api::{envelope::failure, partner::PartnerError};

const REFUSED: &str = "This request did not come from a page of this site, so it was refused.";

pub async fn reject_cross_site_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let credential = presented_token(request.headers()).map(|(_, credential)| credential);
    if safe || credential == Some(Credential::Bearer) {
        return next.run(request).await;
    }
    let verdict = judge(
        request.headers(),
        state.security.public_origin.as_deref(),
        credential == Some(Credential::Cookie),
    );
    if verdict == Verdict::SameSite {
        return next.run(request).await;
    }
    tracing::warn!(
        method = %request.method(),
        path = %request.uri().path(),
        ?verdict,
        "refused a cross-site state-changing request"
    );
    refusal(
        request.uri().path(),
        request.headers(),
        state.page_head.stylesheet(),
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    SameSite,
    /// The browser said the request came from elsewhere.
    CrossSite,
    /// The session cookie came without any header that says where the request came from.
    Unproven,
}

fn judge(headers: &HeaderMap, public_origin: Option<&str>, by_cookie: bool) -> Verdict {
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let same = |yes: bool| {
        if yes {
            Verdict::SameSite
        } else {
            Verdict::CrossSite
        }
    };
    if let Some(site) = text("sec-fetch-site") {
        return same(matches!(site.trim(), "same-origin" | "none"));
    }
    let Some(source) = text("origin").or_else(|| text("referer")) else {
        return if by_cookie {
            Verdict::Unproven
        } else {
            Verdict::SameSite
        };
    };
    let expected = match (public_origin, text("host")) {
        (Some(origin), _) => Expected::Origin(origin),
        (None, Some(host)) => Expected::Host(host),
        (None, None) => return Verdict::CrossSite,
    };
    same(expected.matches(source))
}

enum Expected<'a> {
    /// `PUBLIC_URL`'s origin, such as `https://portal.example`.
    Origin(&'a str),
    /// The `Host` header: only the authority can be compared.
    Host(&'a str),
}

impl Expected<'_> {
    /// Whether `url` (an `Origin` or a `Referer`) is on this site.
    fn matches(&self, url: &str) -> bool {
        let Ok(url) = url::Url::parse(url.trim()) else {
            return false;
        };
        if !matches!(url.scheme(), "http" | "https") {
            return false;
        }
        match self {
            Expected::Origin(origin) => url.origin().ascii_serialization() == *origin,
            Expected::Host(host) => {
                let authority = match (url.host_str(), url.port()) {
                    (Some(name), Some(port)) => format!("{name}:{port}"),
                    (Some(name), None) => name.to_owned(),
                    (None, _) => return false,
                };
                authority.eq_ignore_ascii_case(host.trim())
            }
        }
    }
}

/// A 403 in the shape of the door the request came through; the page (a form posted without
/// JavaScript) links `stylesheet`, the site's.
fn refusal(path: &str, headers: &HeaderMap, stylesheet: &str) -> Response {
    if path.starts_with("/v1/") || path.starts_with("/v1.0/") {
        return PartnerError::Body(StatusCode::FORBIDDEN, REFUSED.to_owned()).into_response();
    }
    if !path.starts_with("/api/fn/") {
        return failure(StatusCode::FORBIDDEN, REFUSED.to_owned(), None);
    }
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html {
        // A form posted without JavaScript: a page that says what happened and where to go.
        return (StatusCode::FORBIDDEN, Html(refused_page(stylesheet))).into_response();
    }
    // A page's own call: the server function error its islands read.
    let body = serde_json::to_string(&PortalError::rejected(REFUSED)).unwrap_or_default();
    let mut response = (StatusCode::FORBIDDEN, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The page of a refused form post, in the site's frame and style.
fn refused_page(stylesheet: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<link rel=\"icon\" type=\"image/svg+xml\" href=\"/favicon.svg\">{stylesheet}\
<title>Request refused · Member Portal</title></head><body>\
<header class=\"site-header\"><a class=\"brand\" href=\"/\">\
<span class=\"brand-mark\" aria-hidden=\"true\">◆</span>Member Portal</a></header>\
<div class=\"site-body\"><main id=\"main\" class=\"content\">\
<section class=\"auth-card card\"><h1>This form was not sent from this site</h1>\
<p>A form on another site tried to send this request in your name, so nothing was done.</p>\
<p class=\"auth-switch\"><a href=\"/login\">Sign in</a> or <a href=\"/\">go to the start page</a> \
on this site and try again there.</p></section></main></div></body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                axum::http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                value.parse().expect("value"),
            );
        }
        map
    }

    const HOST: (&str, &str) = ("host", "127.0.0.1:3000");

    #[test]
    fn fetch_metadata_decides_when_the_browser_sends_it() {
        for (site, verdict) in [
            ("same-origin", Verdict::SameSite),
            ("none", Verdict::SameSite),
            ("same-site", Verdict::CrossSite),
            ("cross-site", Verdict::CrossSite),
        ] {
            let sent = headers(&[
                HOST,
                ("sec-fetch-site", site),
                ("origin", "http://127.0.0.1:3000"),
            ]);
            assert_eq!(judge(&sent, None, false), verdict, "{site}");
        }
    }

    #[test]
    fn without_it_the_origin_or_referer_must_be_this_site() {
        let from = |name, url| judge(&headers(&[HOST, (name, url)]), None, false);
        assert_eq!(from("origin", "http://127.0.0.1:3000"), Verdict::SameSite);
        assert_eq!(from("origin", "http://evil.example"), Verdict::CrossSite);
        assert_eq!(from("origin", "null"), Verdict::CrossSite);
        assert_eq!(
            from("referer", "http://127.0.0.1:3000/login?next=/x"),
            Verdict::SameSite
        );
        assert_eq!(
            from("referer", "http://127.0.0.1:3000.evil.example/"),
            Verdict::CrossSite
        );
        assert_eq!(from("referer", "ftp://127.0.0.1:3000/"), Verdict::CrossSite);
    }

    #[test]
    fn the_public_origin_wins_over_the_host_header() {
        let public = Some("https://portal.example");
        let sent = |origin| headers(&[("host", "portal.example"), ("origin", origin)]);
        assert_eq!(
            judge(&sent("https://portal.example"), public, true),
            Verdict::SameSite
        );
        assert_eq!(
            judge(&sent("http://portal.example"), public, true),
            Verdict::CrossSite,
            "the scheme counts too"
        );
        assert_eq!(
            judge(&sent("https://portal.example:8443"), public, true),
            Verdict::CrossSite
        );
    }

    #[test]
    fn a_request_that_says_nothing_passes_only_without_the_cookie() {
        assert_eq!(judge(&headers(&[HOST]), None, false), Verdict::SameSite);
        assert_eq!(judge(&headers(&[HOST]), None, true), Verdict::Unproven);
    }
}
