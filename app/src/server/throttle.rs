//! Sign-in throttling: after too many failures for one account, or from one client address,
//! within a window, further attempts are refused before any password is checked.
//!
//! Every attempt is recorded *before* its password is verified and forgotten only when it
//! succeeds, so parallel guesses cannot slip past the limit while their hashes are computed.
//! The counts live in the database, so every server instance sees the same ones.

use sqlx::SqlitePool;

use super::{clock, error::ServiceError};

pub const WINDOW_SECS: i64 = 15 * 60;
pub const ACCOUNT_LIMIT: i64 = 10;
pub const CLIENT_LIMIT: i64 = 50;

const BY_ACCOUNT: &str = "SELECT at FROM sign_in_failures WHERE email_normalized = ? AND at > ?
     ORDER BY at DESC, id DESC LIMIT 1 OFFSET ?";
const BY_CLIENT: &str = "SELECT at FROM sign_in_failures WHERE client_addr = ? AND at > ?
     ORDER BY at DESC, id DESC LIMIT 1 OFFSET ?";

/// Records an attempt for `email` from `client`, counted as a failure until [`succeeded`] says
/// otherwise. Refuses it with `TooManyRequests` when it would exceed either limit.
pub async fn begin_attempt(
    pool: &SqlitePool,
    email: &str,
    client: &str,
) -> Result<(), ServiceError> {
    let now = clock::now();
    sqlx::query("DELETE FROM sign_in_failures WHERE at <= ?")
        .bind(now - WINDOW_SECS)
        .execute(pool)
        .await?;
    let id = sqlx::query(
        "INSERT INTO sign_in_failures (email_normalized, client_addr, at) VALUES (?, ?, ?)",
    )
    .bind(email)
    .bind(client)
    .bind(now)
    .execute(pool)
    .await?
    .last_insert_rowid();

    let since = now - WINDOW_SECS;
    // This attempt is one of the rows: over the limit means `limit + 1` rows exist.
    let over_account = nth_recent(pool, BY_ACCOUNT, email, since, ACCOUNT_LIMIT).await?;
    let over_client = nth_recent(pool, BY_CLIENT, client, since, CLIENT_LIMIT).await?;
    if over_account.is_none() && over_client.is_none() {
        return Ok(());
    }
    sqlx::query("DELETE FROM sign_in_failures WHERE id = ?")
        .bind(id)
        .execute(pool)
        .await?;
    let by_account = nth_recent(pool, BY_ACCOUNT, email, since, ACCOUNT_LIMIT - 1).await?;
    let by_client = nth_recent(pool, BY_CLIENT, client, since, CLIENT_LIMIT - 1).await?;
    // Attempts resume once the failure that completed the limit leaves the window.
    let resumes_after = by_account.into_iter().chain(by_client).max().unwrap_or(now);
    Err(ServiceError::TooManyRequests {
        retry_after_secs: (resumes_after + WINDOW_SECS - now).max(1),
    })
}

/// The time of the failure `offset` places behind the most recent one in the window, if any.
async fn nth_recent(
    pool: &SqlitePool,
    query: &str,
    key: &str,
    since: i64,
    offset: i64,
) -> Result<Option<i64>, ServiceError> {
    Ok(sqlx::query_scalar(query)
        .bind(key)
        .bind(since)
        .bind(offset)
        .fetch_optional(pool)
        .await?)
}

/// The account signed in: its recorded attempts, this one included, are forgotten.
pub async fn succeeded(pool: &SqlitePool, email: &str) -> Result<(), ServiceError> {
    sqlx::query("DELETE FROM sign_in_failures WHERE email_normalized = ?")
        .bind(email)
        .execute(pool)
        .await?;
    Ok(())
}
