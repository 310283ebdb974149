//! The periodic clean-up: sessions past their expiry, throttle rows that left their window, mail
//! links a week past their expiry, messages a week after they were sent (or given up on) and
//! security-log entries past `SECURITY_LOG_RETENTION_DAYS` are deleted, so the tables hold only
//! what still counts.

use std::time::Duration;

use crate::server::{
    clock, error::ServiceError, identity::links::KEPT_AFTER_EXPIRY_SECS, identity::throttle,
    mail::budget, profiles::drafting::quota, settings::Limits, store::Store,
};

/// How long a sent message's record (kind, recipient, subject, outcome) is kept.
pub const SENT_MAIL_KEPT_SECS: i64 = 7 * 24 * 60 * 60;

/// How often the clean-up runs.
pub const INTERVAL: Duration = Duration::from_secs(10 * 60);

/// What one clean-up deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    /// Expired sessions and sign-in challenges (a right password that waited for its code).
    pub sessions: u64,
    pub throttle_rows: u64,
    pub links: u64,
    pub messages: u64,
    /// Security-log entries older than the retention period.
    pub log_entries: u64,
}

/// Deletes what is past its time at `now` (Unix seconds).
pub async fn remove_expired(
    store: &Store,
    limits: &Limits,
    now: i64,
) -> Result<Removed, ServiceError> {
    let sessions = store.delete_expired_sessions(now).await?
        + store.delete_expired_challenges(now).await?
        + store.delete_expired_ceremonies(now).await?;
    let mut throttle_rows = 0;
    for (table, window_secs) in [
        (throttle::TABLE, limits.sign_in_window_secs),
        ("sign_ups", limits.sign_up_window_secs),
        (quota::DRAFTS.table, quota::DRAFTS.window_secs),
        (budget::TABLE, limits.mail_window_secs),
    ] {
        throttle_rows += store.delete_older(table, now - window_secs).await?;
    }
    let log_entries = store
        .delete_older("security_events", now - limits.security_log_kept_secs)
        .await?;
    Ok(Removed {
        sessions,
        throttle_rows,
        log_entries,
        links: store
            .delete_expired_tokens(now - KEPT_AFTER_EXPIRY_SECS)
            .await?,
        messages: store
            .delete_finished_mail(now - SENT_MAIL_KEPT_SECS)
            .await?,
    })
}

/// Runs the clean-up every `INTERVAL` for as long as the server runs; a failed round is logged
/// and the next one tries again.
pub fn spawn(store: Store, limits: Limits) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(INTERVAL);
        loop {
            ticks.tick().await;
            match remove_expired(&store, &limits, clock::now()).await {
                Ok(removed) if removed != Removed::default() => {
                    tracing::info!(?removed, "removed expired sessions and throttle rows")
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "the clean-up failed; it runs again later"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::{
        identity::client::Origin, identity::security_log::EventKind, identity::sessions,
        identity::testing::member, identity::throttle::Attempt, settings::Limits,
    };

    async fn count(store: &Store, table: &str) -> i64 {
        store
            .scalar_sql(&format!("SELECT COUNT(*) FROM {table}"))
            .await
            .expect("count")
    }

    #[tokio::test]
    async fn expired_sessions_and_old_throttle_rows_go_and_live_ones_stay() {
        let (_dir, store, session) = member().await;
        let limits = Limits::default();
        // A session with a one-second lifetime beside Jane's hour-long one.
        sessions::create(
            &store,
            sessions::Start {
                user_id: session.user_id,
                profile_id: session.active_profile_id,
                ttl_secs: 1,
                origin: &Origin::default(),
                kind: EventKind::SignedIn,
                detail: "",
            },
        )
        .await
        .expect("short session");
        throttle::begin(
            &store,
            &limits,
            Attempt::Untrusted {
                account: "jane@example.com",
                client: "10.0.0.1",
            },
        )
        .await
        .expect("a failure");
        assert_eq!(count(&store, "sessions").await, 2);

        let now = clock::now();
        let soon = remove_expired(&store, &limits, now + 2)
            .await
            .expect("runs");
        assert_eq!(
            soon,
            Removed {
                sessions: 1,
                ..Removed::default()
            }
        );
        let later = remove_expired(&store, &limits, now + limits.sign_in_window_secs + 1)
            .await
            .expect("runs");
        // The sign-up of Jane left its window too (an hour), the failure left its 15 minutes.
        assert_eq!(later.sessions, 0);
        assert_eq!(later.throttle_rows, 1);
        assert_eq!(count(&store, "password_failures").await, 0);
        assert_eq!(count(&store, "sessions").await, 1, "Jane's session is live");
        let final_round = remove_expired(&store, &limits, now + 3601)
            .await
            .expect("runs");
        assert_eq!(final_round.sessions, 1);
        assert_eq!(count(&store, "sign_ups").await, 0);
    }

    #[tokio::test]
    async fn security_log_entries_go_after_the_retention_period() {
        let (_dir, store, session) = member().await;
        let limits = Limits::default();
        // Jane's sign-up is in her log; an entry from long ago beside it.
        store
            .execute_sql(&format!(
                "INSERT INTO security_events (user_id, at, kind) VALUES ({}, 1000, 'signed_in')",
                session.user_id
            ))
            .await
            .expect("old entry");
        assert_eq!(count(&store, "security_events").await, 2);
        let now = clock::now();
        let removed = remove_expired(&store, &limits, now).await.expect("runs");
        assert_eq!(removed.log_entries, 1, "the old one");
        let kept: Vec<String> = store
            .scalars_sql("SELECT kind FROM security_events")
            .await
            .expect("kinds");
        assert_eq!(kept, ["signed_up"]);
        let far = remove_expired(&store, &limits, now + limits.security_log_kept_secs + 1)
            .await
            .expect("runs");
        assert_eq!(far.log_entries, 1, "and the sign-up, 180 days on");
    }
}
