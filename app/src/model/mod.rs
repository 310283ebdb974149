//! The domain: serde types and pure rules, compiled for both the server and the browser.

pub mod account;
pub mod country;
pub mod directory;
pub mod field_error;
pub mod gender;
pub mod link;
pub mod password_policy;
pub mod profile;
pub mod security;
pub mod support;
pub mod two_factor;
