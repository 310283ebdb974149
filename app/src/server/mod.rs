//! Server-only code: shared state and the database. Never compiled into the wasm bundle.

pub mod db;
pub mod state;
