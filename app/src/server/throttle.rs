//! Sign-in throttling: after too many failures for one account, or from one client address,
//! within a window, further attempts are refused before any password is checked.
//!
//! Every attempt is recorded *before* its password is verified and forgotten only when it
//! succeeds, so parallel guesses cannot slip past the limit while their hashes are computed.
//! The counts live in the database, so every server instance sees the same ones.

use sqlx::SqlitePool;

use super::{
    error::ServiceError,
    rate_limit::{Events, Key, Limit},
};

pub const WINDOW_SECS: i64 = 15 * 60;
pub const ACCOUNT_LIMIT: i64 = 10;
pub const CLIENT_LIMIT: i64 = 50;

const FAILURES: Events = Events {
    table: "sign_in_failures",
    window_secs: WINDOW_SECS,
};

/// Records an attempt for `email` from `client`, counted as a failure until [`succeeded`] says
/// otherwise. Refuses it with `TooManyRequests` when it would exceed either limit.
pub async fn begin_attempt(
    pool: &SqlitePool,
    email: &str,
    client: &str,
) -> Result<(), ServiceError> {
    FAILURES
        .record(
            pool,
            &[
                Limit {
                    column: "email_normalized",
                    key: Key::Text(email),
                    limit: ACCOUNT_LIMIT,
                },
                Limit {
                    column: "client_addr",
                    key: Key::Text(client),
                    limit: CLIENT_LIMIT,
                },
            ],
        )
        .await
}

/// The account signed in: its recorded attempts, this one included, are forgotten.
pub async fn succeeded(pool: &SqlitePool, email: &str) -> Result<(), ServiceError> {
    sqlx::query("DELETE FROM sign_in_failures WHERE email_normalized = ?")
        .bind(email)
        .execute(pool)
        .await?;
    Ok(())
}
