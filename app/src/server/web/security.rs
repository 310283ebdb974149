//! The Content-Security-Policy of the pages: scripts only from this site and only with the
//! nonce of the response, the wasm allowed to compile, nothing inline otherwise, no framing.
//!
//! The server's middleware makes the nonce, puts it in the request's extensions and writes the
//! header from it; the shell hands the same nonce to Leptos, which puts it on its hydration
//! scripts. (Setting the header through Leptos' `ResponseOptions` instead lost it on a
//! fraction of responses under load.)

use leptos::{nonce::Nonce, prelude::*};

/// The nonce of the response being made, in the request's extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CspNonce(pub String);

/// The policy of a page whose scripts carry `nonce`.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
         base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
    )
}

/// Makes the request's nonce the one Leptos puts on its scripts (call while rendering the
/// shell, before the hydration scripts).
pub fn use_request_nonce() {
    if let Some(nonce) = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned())
    {
        provide_context(Nonce::from_value(nonce.0));
    }
}
