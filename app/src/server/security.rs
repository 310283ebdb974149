//! The Content-Security-Policy of the pages: scripts only from this site and only with the
//! nonce Leptos puts on its hydration scripts, the wasm allowed to compile, nothing inline
//! otherwise, and no framing. Other responses get a stricter default from the server's
//! middleware.

use http::{header, HeaderValue};
use leptos::{nonce::Nonce, prelude::use_context};
use leptos_axum::ResponseOptions;

/// The policy of a page whose scripts carry `nonce`.
pub fn page_policy(nonce: &Nonce) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
         base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
    )
}

/// Sets the page's policy on the response being rendered (call while rendering the shell).
pub fn set_page_policy() {
    let (Some(nonce), Some(response)) =
        (leptos::nonce::use_nonce(), use_context::<ResponseOptions>())
    else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&page_policy(&nonce)) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}
