//! What every request handler and server function can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sqlx::SqlitePool;

use super::drafting::SummaryDrafter;

#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: SqlitePool,
    /// How long a session stays valid after it was last used.
    pub session_ttl_secs: i64,
    /// Writes profile summary drafts (a language model, or the built-in composer).
    pub drafter: Arc<dyn SummaryDrafter>,
}
