//! Headers every response carries. A page's Content-Security-Policy allows only scripts with
//! the nonce made here for its response (the shell gives Leptos the same one, see
//! `app::server::web::security`); anything else (JSON, files, errors) gets a policy that allows
//! nothing, since it is never meant to run as a page. Pages get their own browsing context
//! group (COOP), no powerful feature the portal does not use (Permissions-Policy), and, over
//! https, HSTS.

use app::server::{
    identity::client::is_https,
    web::security::{page_policy, CspNonce},
};
use axum::{
    extract::Request,
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};

/// The policy of responses that are not pages.
pub const DEFAULT_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// Browser features the portal never uses, denied to it and to anything it could embed.
pub const PERMISSIONS_POLICY: &str = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), \
     magnetometer=(), microphone=(), payment=(), usb=()";

/// Over https: only https for a year.
pub const HSTS: &str = "max-age=31536000";

pub async fn add_security_headers(mut request: Request, next: Next) -> Response {
    // 122 random bits, as hex: a valid CSP nonce.
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let https = is_https(request.extensions());
    let mut response = next.run(request).await;
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    let policy = if is_page {
        HeaderValue::from_str(&page_policy(&nonce)).ok()
    } else {
        Some(HeaderValue::from_static(DEFAULT_POLICY))
    };
    let headers = response.headers_mut();
    if let Some(policy) = policy {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}
