//! Server functions: what the pages call. Thin: authenticate, call the core, map errors.

pub mod auth;
pub mod error;
