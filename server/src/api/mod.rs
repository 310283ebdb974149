//! The JSON API: adapters between the wire shapes of the seed documents and the shared core.

pub mod auth;
pub mod email;
pub mod envelope;
pub mod etag;
pub mod health;
pub mod json_body;
pub mod openapi;
pub mod partner;
pub mod passkeys;
pub mod profile;
pub mod security;
pub mod session_auth;
pub mod support;
pub mod two_factor;
