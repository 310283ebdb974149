//! Sliding-window rate limits counted in the database, so every server instance sees the same
//! counts: the password throttles, sign-ups per address and the hourly quota of AI drafts.
//!
//! An event is recorded *before* its limits are checked, so parallel requests cannot slip past a
//! limit together. An event that would exceed a limit is removed again and refused with the time
//! until the oldest event that still counts leaves the window.

use sqlx::SqlitePool;

use super::{clock, error::ServiceError};

/// The value of one key column of an event.
#[derive(Clone, Copy, Debug)]
pub enum Key<'a> {
    Text(&'a str),
    Id(i64),
}

/// At most `limit` events with this value of `column` within the window.
#[derive(Clone, Copy, Debug)]
pub struct Limit<'a> {
    pub column: &'static str,
    pub key: Key<'a>,
    pub limit: i64,
}

/// A table of events: an `id`, the time `at` in Unix seconds, and the key columns.
#[derive(Clone, Copy, Debug)]
pub struct Events {
    pub table: &'static str,
    pub window_secs: i64,
}

impl Events {
    /// Records an event with the keys of `limits`, or refuses it with `TooManyRequests` (and
    /// records nothing) when it would exceed any of them. Events older than the window are
    /// forgotten on the way.
    pub async fn record(
        &self,
        pool: &SqlitePool,
        limits: &[Limit<'_>],
    ) -> Result<(), ServiceError> {
        let now = clock::now();
        let since = now - self.window_secs;
        sqlx::query(&format!("DELETE FROM {} WHERE at <= ?", self.table))
            .bind(since)
            .execute(pool)
            .await?;
        let columns: Vec<&str> = limits.iter().map(|limit| limit.column).collect();
        let insert = format!(
            "INSERT INTO {} ({}, at) VALUES ({}?)",
            self.table,
            columns.join(", "),
            "?, ".repeat(columns.len())
        );
        let mut query = sqlx::query(&insert);
        for limit in limits {
            query = match limit.key {
                Key::Text(text) => query.bind(text),
                Key::Id(id) => query.bind(id),
            };
        }
        let id = query.bind(now).execute(pool).await?.last_insert_rowid();

        // This event is one of the rows: over a limit means `limit + 1` of them are in the window.
        let mut over = false;
        for limit in limits {
            over |= self
                .nth_recent(pool, limit, since, limit.limit)
                .await?
                .is_some();
        }
        if !over {
            return Ok(());
        }
        sqlx::query(&format!("DELETE FROM {} WHERE id = ?", self.table))
            .bind(id)
            .execute(pool)
            .await?;
        // Events resume once the one that completed a limit leaves the window.
        let mut resumes_after = None;
        for limit in limits {
            let completed = self.nth_recent(pool, limit, since, limit.limit - 1).await?;
            resumes_after = resumes_after.max(completed);
        }
        Err(ServiceError::TooManyRequests {
            retry_after_secs: (resumes_after.unwrap_or(now) + self.window_secs - now).max(1),
        })
    }

    /// The time of the event `offset` places behind the most recent one with this key in the
    /// window, if there is one.
    async fn nth_recent(
        &self,
        pool: &SqlitePool,
        limit: &Limit<'_>,
        since: i64,
        offset: i64,
    ) -> Result<Option<i64>, ServiceError> {
        let sql = format!(
            "SELECT at FROM {} WHERE {} = ? AND at > ? ORDER BY at DESC, id DESC LIMIT 1 OFFSET ?",
            self.table, limit.column
        );
        let query = sqlx::query_scalar(&sql);
        let query = match limit.key {
            Key::Text(text) => query.bind(text),
            Key::Id(id) => query.bind(id),
        };
        Ok(query.bind(since).bind(offset).fetch_optional(pool).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::testing::member;

    const EVENTS: Events = Events {
        table: "password_failures",
        window_secs: 600,
    };

    fn limits<'a>(email: &'a str, client: &'a str) -> [Limit<'a>; 2] {
        [
            Limit {
                column: "account",
                key: Key::Text(email),
                limit: 2,
            },
            Limit {
                column: "client_addr",
                key: Key::Text(client),
                limit: 3,
            },
        ]
    }

    async fn rows(pool: &SqlitePool) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM password_failures")
            .fetch_one(pool)
            .await
            .expect("count")
    }

    fn refused(result: Result<(), ServiceError>) -> bool {
        matches!(result, Err(ServiceError::TooManyRequests { .. }))
    }

    #[tokio::test]
    async fn each_limit_counts_its_own_key_and_a_refused_event_is_not_recorded() {
        let (_dir, pool, _) = member().await;
        EVENTS
            .record(&pool, &limits("a", "x"))
            .await
            .expect("1st of a");
        EVENTS
            .record(&pool, &limits("a", "x"))
            .await
            .expect("2nd of a");
        assert!(refused(EVENTS.record(&pool, &limits("a", "y")).await));
        assert_eq!(rows(&pool).await, 2);
        // y was refused only because of a's limit; x has two of its three.
        EVENTS
            .record(&pool, &limits("b", "x"))
            .await
            .expect("3rd from x");
        assert!(refused(EVENTS.record(&pool, &limits("c", "x")).await));
        EVENTS
            .record(&pool, &limits("c", "y"))
            .await
            .expect("c from y");
        assert_eq!(rows(&pool).await, 4);
    }

    #[tokio::test]
    async fn a_refusal_waits_for_the_oldest_counted_event_and_old_ones_do_not_count() {
        let (_dir, pool, _) = member().await;
        let now = clock::now();
        for age in [700, 500, 100] {
            sqlx::query(
                "INSERT INTO password_failures (account, client_addr, at) VALUES (?, ?, ?)",
            )
            .bind("a")
            .bind("x")
            .bind(now - age)
            .execute(&pool)
            .await
            .expect("insert");
        }
        match EVENTS.record(&pool, &limits("a", "z")).await {
            // The one 500 s old completed the limit of 2: it leaves the window in 100 s.
            Err(ServiceError::TooManyRequests { retry_after_secs }) => {
                assert!((99..=100).contains(&retry_after_secs), "{retry_after_secs}")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(
            rows(&pool).await,
            2,
            "the event past the window is forgotten"
        );
    }
}
