//! How many drafts a member may ask for: a sliding hour, counted in the database so that every
//! server instance sees the same count.

use crate::server::{
    error::ServiceError,
    rate_limit::{Events, Key, Limit},
    store::Store,
};

pub const WINDOW_SECS: i64 = 60 * 60;

pub const DRAFTS: Events = Events {
    table: "summary_drafts",
    window_secs: WINDOW_SECS,
};

/// Records a draft for `user_id`, or refuses it with `TooManyRequests` when the member already
/// had `per_hour` in the last hour. The draft is recorded before the limit is checked, so
/// parallel requests cannot slip past it together.
pub async fn take(store: &Store, user_id: i64, per_hour: i64) -> Result<(), ServiceError> {
    DRAFTS
        .record(
            store,
            &[Limit {
                column: "user_id",
                key: Key::Id(user_id),
                limit: per_hour,
            }],
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::settings::DRAFTS_PER_HOUR;
    use crate::server::{
        clock,
        identity::testing::{member, signed_up},
    };

    #[tokio::test]
    async fn the_eleventh_draft_within_an_hour_is_refused_for_that_member_only() {
        let (_dir, store, session) = member().await;
        for n in 1..=DRAFTS_PER_HOUR {
            take(&store, session.user_id, DRAFTS_PER_HOUR)
                .await
                .unwrap_or_else(|error| panic!("draft {n}: {error}"));
        }
        match take(&store, session.user_id, DRAFTS_PER_HOUR).await {
            Err(ServiceError::TooManyRequests { retry_after_secs }) => {
                assert!(
                    (1..=WINDOW_SECS).contains(&retry_after_secs),
                    "{retry_after_secs}"
                );
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        let counted: i64 = store
            .scalar_sql("SELECT COUNT(*) FROM summary_drafts")
            .await
            .expect("count");
        assert_eq!(counted, DRAFTS_PER_HOUR, "a refused draft is not counted");

        let other = signed_up(&store, "john@example.com", "John Roe").await;
        take(&store, other.user_id, DRAFTS_PER_HOUR)
            .await
            .expect("another member has a quota of their own");
    }

    #[tokio::test]
    async fn drafts_older_than_an_hour_no_longer_count() {
        let (_dir, store, session) = member().await;
        for _ in 0..DRAFTS_PER_HOUR {
            store
                .execute_sql(&format!(
                    "INSERT INTO summary_drafts (user_id, at) VALUES ({}, {})",
                    session.user_id,
                    clock::now() - WINDOW_SECS - 1
                ))
                .await
                .expect("insert");
        }
        take(&store, session.user_id, DRAFTS_PER_HOUR)
            .await
            .expect("the old drafts left the window");
    }
}
