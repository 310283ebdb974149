//! What a member can take with them and what leaving deletes: the password confirmation a data
//! export needs, the rows an export reads beside the profile's, and the deletion of a member.

use super::mail::NewMail;
use super::{mail::insert_mail, on_pool, Store};

/// The account's own row, without its password hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRecord {
    pub id: i64,
    pub email: String,
    pub email_verified_at: Option<i64>,
    pub created_at: i64,
}

/// One audit row: when, which of the member's profiles (none for the support profile), and the
/// names of the fields that changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub profile_id: Option<i64>,
    pub at: i64,
    pub changed_fields: String,
}

impl Store {
    /// Records that session `id` confirmed the member's password at `now`.
    pub async fn mark_reauthenticated(&self, id: i64, now: i64) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE sessions SET reauthenticated_at = $1 WHERE id = $2"
        )
        .bind(now)
        .bind(id)
        .execute(pool)
        .await
        .map(drop))
    }

    /// When session `id` last confirmed the password (0: never, or no such session).
    pub async fn reauthenticated_at(&self, id: i64) -> Result<i64, sqlx::Error> {
        let at: Option<i64> = on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT reauthenticated_at FROM sessions WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?;
        Ok(at.unwrap_or(0))
    }

    pub async fn account_record(&self, user_id: i64) -> Result<AccountRecord, sqlx::Error> {
        let (id, email, email_verified_at, created_at) = on_pool!(self, |pool| sqlx::query_as(
            "SELECT id, email, email_verified_at, created_at FROM users WHERE id = $1"
        )
        .bind(user_id)
        .fetch_one(pool)
        .await)?;
        Ok(AccountRecord {
            id,
            email,
            email_verified_at,
            created_at,
        })
    }

    /// The audit rows of the member's profiles, then of their support profile, oldest first.
    pub async fn audit_records(
        &self,
        user_id: i64,
    ) -> Result<(Vec<AuditRecord>, Vec<AuditRecord>), sqlx::Error> {
        let profiles: Vec<(i64, i64, String)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT a.profile_id, a.at, a.changed_fields FROM profile_audit a
             JOIN customer_profiles p ON p.id = a.profile_id
             WHERE p.user_id = $1 ORDER BY a.id"
        )
        .bind(user_id)
        .fetch_all(pool)
        .await)?;
        let support: Vec<(i64, String)> = on_pool!(self, |pool| {
            sqlx::query_as(
            "SELECT at, changed_fields FROM support_profile_audit WHERE user_id = $1 ORDER BY id"
        )
        .bind(user_id)
        .fetch_all(pool)
        .await
        })?;
        Ok((
            profiles
                .into_iter()
                .map(|(profile_id, at, changed_fields)| AuditRecord {
                    profile_id: Some(profile_id),
                    at,
                    changed_fields,
                })
                .collect(),
            support
                .into_iter()
                .map(|(at, changed_fields)| AuditRecord {
                    profile_id: None,
                    at,
                    changed_fields,
                })
                .collect(),
        ))
    }

    /// Deletes member `user_id` (sign-in address normalized as `email_normalized`) and, in the
    /// same transaction, what is kept about them elsewhere: the throttles' rows keyed by the
    /// account and the messages to the address. Deleting the user row deletes the rest by
    /// `ON DELETE CASCADE` (profiles and their audit rows, the support profile and its audit
    /// rows, sessions, links, drafts, the security log); audit rows of other members' profiles
    /// that this member changed keep the change with no actor (`ON DELETE SET NULL`). `farewell`
    /// (the notice that the account is gone) is queued last. Whether the member existed.
    pub async fn delete_member(
        &self,
        user_id: i64,
        email_normalized: &str,
        farewell: &NewMail,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM password_failures WHERE user_id = $1 OR account = $2")
                .bind(user_id)
                .bind(email_normalized)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM mail_requests WHERE account = $1")
                .bind(email_normalized)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM outgoing_mail WHERE lower(recipient) = $1")
                .bind(email_normalized)
                .execute(&mut *tx)
                .await?;
            let deleted = sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if deleted {
                insert_mail!(&mut *tx, farewell, now)?;
            }
            tx.commit().await?;
            Ok(deleted)
        })
    }
}
