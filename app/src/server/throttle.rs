//! Sign-in throttling: after too many failures for one account, or from one client address,
//! within a window, further attempts are refused before any password is checked.
//!
//! The counts live in the database, so every server instance sees the same ones.

use sqlx::SqlitePool;

use super::{clock, error::ServiceError};

pub const WINDOW_SECS: i64 = 15 * 60;
pub const ACCOUNT_LIMIT: i64 = 10;
pub const CLIENT_LIMIT: i64 = 50;

/// Refuses the attempt with `TooManyRequests` when either limit is reached.
pub async fn check(pool: &SqlitePool, email: &str, client: &str) -> Result<(), ServiceError> {
    let since = clock::now() - WINDOW_SECS;
    let by_account = limit_reached_at(
        pool,
        "SELECT at FROM sign_in_failures WHERE email_normalized = ? AND at > ?
         ORDER BY at DESC LIMIT 1 OFFSET ?",
        email,
        since,
        ACCOUNT_LIMIT,
    )
    .await?;
    let by_client = limit_reached_at(
        pool,
        "SELECT at FROM sign_in_failures WHERE client_addr = ? AND at > ?
         ORDER BY at DESC LIMIT 1 OFFSET ?",
        client,
        since,
        CLIENT_LIMIT,
    )
    .await?;
    match by_account.into_iter().chain(by_client).max() {
        // Attempts resume once the failure that completed the limit leaves the window.
        Some(at) => Err(ServiceError::TooManyRequests {
            retry_after_secs: (at + WINDOW_SECS - clock::now()).max(1),
        }),
        None => Ok(()),
    }
}

/// The time of the `limit`-th most recent failure in the window, if there are that many.
async fn limit_reached_at(
    pool: &SqlitePool,
    query: &str,
    key: &str,
    since: i64,
    limit: i64,
) -> Result<Option<i64>, ServiceError> {
    Ok(sqlx::query_scalar(query)
        .bind(key)
        .bind(since)
        .bind(limit - 1)
        .fetch_optional(pool)
        .await?)
}

pub async fn record_failure(
    pool: &SqlitePool,
    email: &str,
    client: &str,
) -> Result<(), ServiceError> {
    let now = clock::now();
    sqlx::query(
        "INSERT INTO sign_in_failures (email_normalized, client_addr, at) VALUES (?, ?, ?)",
    )
    .bind(email)
    .bind(client)
    .bind(now)
    .execute(pool)
    .await?;
    sqlx::query("DELETE FROM sign_in_failures WHERE at <= ?")
        .bind(now - WINDOW_SECS)
        .execute(pool)
        .await?;
    Ok(())
}

/// Forgets an account's failures after it signs in successfully.
pub async fn clear_account(pool: &SqlitePool, email: &str) -> Result<(), ServiceError> {
    sqlx::query("DELETE FROM sign_in_failures WHERE email_normalized = ?")
        .bind(email)
        .execute(pool)
        .await?;
    Ok(())
}
