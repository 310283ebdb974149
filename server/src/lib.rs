//! The member portal's server: configuration, start-up and the HTTP router.

pub mod access_log;
pub mod admin;
pub mod api;
pub mod client_context;
pub mod config;
pub mod copy_database;
pub mod csrf;
pub mod metrics;
pub mod page_cache;
pub mod routes;
pub mod security_headers;
pub mod startup;
pub mod static_files;
