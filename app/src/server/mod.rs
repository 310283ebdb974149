//! Server-only code: shared state, the database and accounts. Never compiled into the wasm bundle.

pub mod account_data;
pub mod accounts;
pub mod cleanup;
pub mod client;
pub mod clock;
pub mod countries;
pub mod device;
pub mod directory;
pub mod drafting;
pub mod email_address;
pub mod error;
pub mod island_memo;
pub mod links;
pub mod mail;
pub mod markdown;
pub mod operator;
pub mod page_head;
pub mod passkeys;
pub mod passwords;
pub mod profile_writer;
pub mod profiles;
pub mod rate_limit;
pub mod recovery;
pub mod redirect;
pub mod security;
pub mod security_log;
pub mod session_cookie;
pub mod sessions;
pub mod settings;
pub mod sqlite_writer;
pub mod state;
pub mod store;
pub mod support;
#[cfg(test)]
mod testing;
pub mod throttle;
pub mod two_factor;
