//! The mail queue (`outgoing_mail`): messages are inserted inside the transactions of the changes
//! that cause them (`insert_mail!`), claimed one at a time by the worker of whichever instance
//! asks first, and marked sent or due again.

use super::{on_pool, Store};

/// A message about to be queued: who gets it, and both renderings of its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMail {
    /// What the message is for (`reset_password`, `password_changed`, ...): for logs and tests.
    pub kind: &'static str,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A queued message as the worker sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// Inserts `$mail` (a `&NewMail`), due at `$now`, on `$executor` (a transaction of either
/// backend): a macro, so that each expansion binds for that backend's concrete types.
macro_rules! insert_mail {
    ($executor:expr, $mail:expr, $now:expr) => {{
        let mail: &$crate::server::store::mail::NewMail = $mail;
        sqlx::query(
            "INSERT INTO outgoing_mail
                 (kind, recipient, subject, text_body, html_body, created_at, next_attempt_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(mail.kind)
        .bind(&mail.recipient)
        .bind(&mail.subject)
        .bind(&mail.text)
        .bind(&mail.html)
        .bind($now)
        .execute($executor)
        .await
    }};
}
pub(crate) use insert_mail;

/// Claims the oldest due message: one statement that moves its next attempt to `lease_until`,
/// so no other worker takes it meanwhile (PostgreSQL skips rows another worker has locked; on
/// SQLite the statement holds the write lock). A worker that dies mid-send leaves the message
/// to be claimed again once the lease runs out.
const CLAIM: &str = "UPDATE outgoing_mail
     SET attempts = attempts + 1, next_attempt_at = $1
     WHERE id = (SELECT id FROM outgoing_mail
                 WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2
                 ORDER BY next_attempt_at, id LIMIT 1 LOCKING)
     RETURNING id, kind, recipient, subject, text_body, html_body, attempts";

type QueuedRow = (i64, String, String, String, String, String, i64);

impl Store {
    /// Queues `mails` on their own (for messages no stored change goes with).
    pub async fn queue_mail(&self, mails: &[NewMail], now: i64) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            for mail in mails {
                insert_mail!(&mut *tx, mail, now)?;
            }
            tx.commit().await
        })
    }

    /// The oldest message due at `now`, claimed until `lease_until` (see `CLAIM`).
    pub async fn claim_due_mail(
        &self,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<QueuedMail>, sqlx::Error> {
        let sql = match self {
            Store::Sqlite(_) => CLAIM.replace("LOCKING", ""),
            Store::Postgres(_) => CLAIM.replace("LOCKING", "FOR UPDATE SKIP LOCKED"),
        };
        let row: Option<QueuedRow> = on_pool!(self, |pool| sqlx::query_as(super::built(&sql))
            .bind(lease_until)
            .bind(now)
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(
            |(id, kind, recipient, subject, text_body, html_body, attempts)| QueuedMail {
                id,
                kind,
                recipient,
                subject,
                text_body,
                html_body,
                attempts,
            },
        ))
    }

    /// Records that message `id` was delivered at `now`, and forgets its bodies (their links
    /// must not outlive the delivery in the database).
    pub async fn mark_mail_sent(&self, id: i64, now: i64) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE outgoing_mail
             SET sent_at = $1, text_body = '', html_body = '', last_error = NULL
             WHERE id = $2"
        )
        .bind(now)
        .bind(id)
        .execute(pool)
        .await
        .map(drop))
    }

    /// Records a failed attempt at message `id`: due again at `retry_at`, or given up at `now`
    /// when `retry_at` is `None`.
    pub async fn mark_mail_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE outgoing_mail
             SET last_error = $1,
                 next_attempt_at = COALESCE($2, next_attempt_at),
                 failed_at = CASE WHEN $2 IS NULL THEN $3 ELSE NULL END
             WHERE id = $4"
        )
        .bind(error)
        .bind(retry_at)
        .bind(now)
        .bind(id)
        .execute(pool)
        .await
        .map(drop))
    }

    /// Deletes messages sent or given up at or before `cutoff`; how many.
    pub async fn delete_finished_mail(&self, cutoff: i64) -> Result<u64, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query(
            "DELETE FROM outgoing_mail
             WHERE COALESCE(sent_at, failed_at) IS NOT NULL AND COALESCE(sent_at, failed_at) <= $1"
        )
        .bind(cutoff)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
    }
}
