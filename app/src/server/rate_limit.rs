//! Sliding-window rate limits counted in the database, so every server instance sees the same
//! counts: the password throttles, sign-ups per address and the hourly quota of AI drafts.
//!
//! An event is recorded *before* its limits are checked, so parallel requests cannot slip past a
//! limit together. An event that would exceed a limit is removed again and refused with the time
//! until the oldest event that still counts leaves the window.

pub use crate::server::store::events::Key;
use crate::server::{clock, error::ServiceError, store::Store};

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
    pub async fn record(&self, store: &Store, limits: &[Limit<'_>]) -> Result<(), ServiceError> {
        let now = clock::now();
        let since = now - self.window_secs;
        store.delete_older(self.table, since).await?;
        let keys: Vec<(&'static str, Key<'_>)> = limits
            .iter()
            .map(|limit| (limit.column, limit.key))
            .collect();
        let id = store.insert_event(self.table, &keys, now).await?;

        // This event is one of the rows: over a limit means `limit + 1` of them are in the window.
        let mut over = false;
        for limit in limits {
            over |= self
                .nth_recent(store, limit, since, limit.limit)
                .await?
                .is_some();
        }
        if !over {
            return Ok(());
        }
        store.delete_event(self.table, id).await?;
        metrics::counter!("portal_throttle_refusals_total", "events" => self.table).increment(1);
        // Events resume once the one that completed a limit leaves the window.
        let mut resumes_after = None;
        for limit in limits {
            let completed = self
                .nth_recent(store, limit, since, limit.limit - 1)
                .await?;
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
        store: &Store,
        limit: &Limit<'_>,
        since: i64,
        offset: i64,
    ) -> Result<Option<i64>, ServiceError> {
        Ok(store
            .nth_recent_event(self.table, (limit.column, limit.key), since, offset)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::scratch;

    /// A fresh database: the events counted here need no member.
    async fn fresh() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = scratch::open(dir.path()).await.expect("opens");
        (dir, store)
    }

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

    async fn rows(store: &Store) -> i64 {
        store
            .scalar_sql("SELECT COUNT(*) FROM password_failures")
            .await
            .expect("count")
    }

    fn refused(result: Result<(), ServiceError>) -> bool {
        matches!(result, Err(ServiceError::TooManyRequests { .. }))
    }

    #[tokio::test]
    async fn each_limit_counts_its_own_key_and_a_refused_event_is_not_recorded() {
        let (_dir, store) = fresh().await;
        EVENTS
            .record(&store, &limits("a", "x"))
            .await
            .expect("1st of a");
        EVENTS
            .record(&store, &limits("a", "x"))
            .await
            .expect("2nd of a");
        assert!(refused(EVENTS.record(&store, &limits("a", "y")).await));
        assert_eq!(rows(&store).await, 2);
        // y was refused only because of a's limit; x has two of its three.
        EVENTS
            .record(&store, &limits("b", "x"))
            .await
            .expect("3rd from x");
        assert!(refused(EVENTS.record(&store, &limits("c", "x")).await));
        EVENTS
            .record(&store, &limits("c", "y"))
            .await
            .expect("c from y");
        assert_eq!(rows(&store).await, 4);
    }

    #[tokio::test]
    async fn a_refusal_waits_for_the_oldest_counted_event_and_old_ones_do_not_count() {
        let (_dir, store) = fresh().await;
        let now = clock::now();
        for age in [700, 500, 100] {
            store
                .execute_sql(&format!(
                    "INSERT INTO password_failures (account, client_addr, at)
                     VALUES ('a', 'x', {})",
                    now - age
                ))
                .await
                .expect("insert");
        }
        match EVENTS.record(&store, &limits("a", "z")).await {
            // The one 500 s old completed the limit of 2: it leaves the window in 100 s.
            Err(ServiceError::TooManyRequests { retry_after_secs }) => {
                assert!((99..=100).contains(&retry_after_secs), "{retry_after_secs}")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(
            rows(&store).await,
            2,
            "the event past the window is forgotten"
        );
    }
}
