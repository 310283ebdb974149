//! Server-only code, never compiled into the wasm bundle. A folder per capability, from the top
//! down; each uses only what lies below it:
//!
//! - `web`: what rendering the pages needs on the server (the head tags, the islands' memo, the
//!   CSP nonce, safe redirects);
//! - `operations`: the operator's commands and the periodic clean-up;
//! - `privacy`: the member's own data (the export, the deletion of the account);
//! - `profiles`: the profile and its writers, the support contact, the directory, drafting and
//!   Markdown;
//! - `identity`: accounts, sessions, passwords, throttles, two-factor sign-in, passkeys, mailed
//!   links and the security log;
//! - `mail`: composing, queueing and sending messages;
//! - `store`: every SQL statement, for both backends, and nothing else;
//!
//! Beside them, what every capability uses (the clock, the error every service answers with, the
//! limits the operator sets, the rate limits counted in the database), and at the very top the
//! application state that carries the services to the doors.

pub mod clock;
pub mod error;
pub mod identity;
pub mod mail;
pub mod operations;
pub mod privacy;
pub mod profiles;
pub mod rate_limit;
pub mod settings;
pub mod state;
pub mod store;
pub mod web;
