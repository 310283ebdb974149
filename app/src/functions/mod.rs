//! Server functions: what the pages call. Thin: authenticate, call the core, map errors.

pub mod auth;
#[cfg(feature = "ssr")]
pub mod context;
pub mod error;
pub mod profile;
pub mod recovery;
pub mod security;
pub mod two_factor;
