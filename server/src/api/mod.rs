//! The JSON API: adapters between the wire shapes of the seed documents and the shared core.

pub mod health;
