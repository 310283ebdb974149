//! The worker that empties the mail queue: wakes when this instance queues a message, and polls
//! for messages other instances queued or that are due to be retried.

use std::{sync::Arc, time::Duration};

use super::{transport::Mailer, MailQueue};
use crate::server::{clock, store::Store};

/// How failed deliveries are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failed attempt; it doubles after each further one...
    pub first_wait_secs: i64,
    /// ...up to this.
    pub longest_wait_secs: i64,
    /// Attempts in all before the worker gives up on a message.
    pub attempts: i64,
    /// How long a claimed message is left to the worker that claimed it.
    pub lease_secs: i64,
    /// How often the worker looks for due messages when nothing woke it.
    pub poll: Duration,
}

impl Default for RetryPolicy {
    /// 30 s, 1, 2, 4, 8, 16, 32 min, then hourly: ten attempts over about four hours.
    fn default() -> Self {
        RetryPolicy {
            first_wait_secs: 30,
            longest_wait_secs: 3_600,
            attempts: 10,
            lease_secs: 300,
            poll: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// When a message that failed its `attempts`-th attempt at `now` is tried again; `None`:
    /// never (the last attempt failed).
    pub fn retry_at(&self, attempts: i64, now: i64) -> Option<i64> {
        if attempts >= self.attempts {
            return None;
        }
        let doublings = u32::try_from(attempts.saturating_sub(1))
            .unwrap_or(u32::MAX)
            .min(32);
        let wait = self
            .first_wait_secs
            .saturating_mul(1_i64 << doublings)
            .min(self.longest_wait_secs);
        Some(now + wait)
    }
}

/// What one pass over the queue did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: u32,
    pub failed: u32,
}

/// Sends every message due now, one claim at a time, until none is due.
pub async fn deliver_due(
    store: &Store,
    mailer: &Mailer,
    policy: &RetryPolicy,
) -> Result<Pass, sqlx::Error> {
    let mut pass = Pass::default();
    loop {
        let now = clock::now();
        let Some(mail) = store.claim_due_mail(now, now + policy.lease_secs).await? else {
            return Ok(pass);
        };
        match mailer.send(&mail).await {
            Ok(destination) => {
                store.mark_mail_sent(mail.id, clock::now()).await?;
                tracing::info!(
                    id = mail.id,
                    kind = %mail.kind,
                    subject = %mail.subject,
                    %destination,
                    "mail sent"
                );
                pass.sent += 1;
            }
            Err(undelivered) => {
                let now = clock::now();
                let retry_at = if undelivered.hopeless {
                    None
                } else {
                    policy.retry_at(mail.attempts, now)
                };
                store
                    .mark_mail_failed(mail.id, &undelivered.reason, retry_at, now)
                    .await?;
                match retry_at {
                    Some(at) => tracing::warn!(
                        id = mail.id,
                        kind = %mail.kind,
                        attempt = mail.attempts,
                        reason = %undelivered.reason,
                        retry_in_secs = at - now,
                        "mail not delivered; it stays queued"
                    ),
                    None => tracing::error!(
                        id = mail.id,
                        kind = %mail.kind,
                        attempt = mail.attempts,
                        reason = %undelivered.reason,
                        "mail not delivered; giving up on it"
                    ),
                }
                pass.failed += 1;
            }
        }
    }
}

/// Runs the worker for as long as the server runs. A database error is logged and the next
/// poll tries again.
pub fn spawn(
    store: Store,
    mailer: Arc<Mailer>,
    queue: &MailQueue,
    policy: RetryPolicy,
) -> tokio::task::JoinHandle<()> {
    let wake = queue.woken();
    tokio::spawn(async move {
        loop {
            if let Err(error) = deliver_due(&store, &mailer, &policy).await {
                tracing::warn!(%error, "the mail queue could not be read; trying again soon");
            }
            let _ = tokio::time::timeout(policy.poll, wake.notified()).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_longest_and_the_last_attempt_is_final() {
        let policy = RetryPolicy::default();
        let waits: Vec<Option<i64>> = (1..=10).map(|n| policy.retry_at(n, 0)).collect();
        assert_eq!(
            waits,
            [
                Some(30),
                Some(60),
                Some(120),
                Some(240),
                Some(480),
                Some(960),
                Some(1_920),
                Some(3_600),
                Some(3_600),
                None
            ]
        );
    }
}
