//! What the operator's commands read and change: members (listed, disabled, given a password),
//! locations' password policies and the portal's switches (`portal_settings`).

use super::mail::NewMail;
use super::{
    accounts::{policy_from_row, POLICY_COLUMNS},
    mail::insert_mail,
    on_pool,
    security_log::{insert_event, NewEvent},
    Store,
};
use crate::model::password_policy::PasswordPolicy;

/// A member as the operator's list shows them, with their default profile's location.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberRow {
    pub id: i64,
    pub email: String,
    pub full_name: String,
    pub location: String,
    pub created_at: i64,
    pub email_verified: bool,
    pub disabled_at: Option<i64>,
    pub sessions: i64,
}

/// A location's id, name and default flag, its policy's columns and its members.
type LocationColumns = (i64, String, bool, i64, i64, bool, bool, bool, bool, i64);

/// A location and its password policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocationRow {
    pub id: i64,
    pub name: String,
    pub is_default: bool,
    pub policy: PasswordPolicy,
    pub members: i64,
}

const SIGN_UP: &str = "sign_up";

impl Store {
    /// Every member, oldest first; only those with a profile at `location_id`, or only
    /// member `user_id`, when given.
    pub async fn member_rows(
        &self,
        location_id: Option<i64>,
        user_id: Option<i64>,
    ) -> Result<Vec<MemberRow>, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query_as(
            "SELECT u.id, u.email, p.full_name, l.name AS location, u.created_at,
                    u.email_verified_at IS NOT NULL AS email_verified, u.disabled_at,
                    (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id) AS sessions
             FROM users u
             JOIN customer_profiles p ON p.user_id = u.id AND p.is_default
             JOIN locations l ON l.id = p.location_id
             WHERE ($1 IS NULL OR EXISTS (SELECT 1 FROM customer_profiles o
                                          WHERE o.user_id = u.id AND o.location_id = $1))
               AND ($2 IS NULL OR u.id = $2)
             ORDER BY u.id"
        )
        .bind(location_id)
        .bind(user_id)
        .fetch_all(pool)
        .await)
    }

    /// Every location with its policy and how many members have a profile there, by name.
    pub async fn location_rows(&self) -> Result<Vec<LocationRow>, sqlx::Error> {
        let sql = format!(
            "SELECT l.id, l.name, l.is_default, {POLICY_COLUMNS},
                    (SELECT COUNT(*) FROM customer_profiles p WHERE p.location_id = l.id)
             FROM locations l ORDER BY l.name"
        );
        let rows: Vec<LocationColumns> = on_pool!(self, |pool| sqlx::query_as(super::built(&sql))
            .fetch_all(pool)
            .await)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, name, is_default, min, max, digit, upper, lower, symbol, members)| {
                    LocationRow {
                        id,
                        name,
                        is_default,
                        policy: policy_from_row((min, max, digit, upper, lower, symbol)),
                        members,
                    }
                },
            )
            .collect())
    }

    /// Stores `policy` as location `id`'s; whether the location exists.
    pub async fn set_location_policy(
        &self,
        id: i64,
        policy: &PasswordPolicy,
    ) -> Result<bool, sqlx::Error> {
        let changed = on_pool!(self, |pool| sqlx::query(
            "UPDATE locations SET password_min_length = $1, password_max_length = $2,
                 password_require_digit = $3, password_require_upper = $4,
                 password_require_lower = $5, password_require_symbol = $6
             WHERE id = $7"
        )
        .bind(i64::from(policy.min_length))
        .bind(i64::from(policy.max_length))
        .bind(policy.require_digit)
        .bind(policy.require_upper)
        .bind(policy.require_lower)
        .bind(policy.require_symbol)
        .bind(id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(changed == 1)
    }

    /// Disables member `user_id` (`disabled_at` set) or enables them (`None`); disabling ends
    /// every session. The event is written when the state changed; whether it did.
    pub async fn set_member_disabled(
        &self,
        user_id: i64,
        disabled_at: Option<i64>,
        event: &NewEvent<'_>,
    ) -> Result<bool, sqlx::Error> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE users SET disabled_at = $1
                 WHERE id = $2 AND (disabled_at IS NULL) <> ($1 IS NULL)",
            )
            .bind(disabled_at)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if changed {
                if disabled_at.is_some() {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await?;
                }
                insert_event!(&mut *tx, event)?;
            }
            tx.commit().await?;
            Ok(changed)
        })
    }

    /// Whether member `user_id` is disabled (an unknown member is not).
    pub async fn is_disabled(&self, user_id: i64) -> Result<bool, sqlx::Error> {
        let disabled: Option<bool> = on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT disabled_at IS NOT NULL FROM users WHERE id = $1"
        )
        .bind(user_id)
        .fetch_optional(pool)
        .await)?;
        Ok(disabled.unwrap_or(false))
    }

    /// Gives member `user_id` a new password hash, ends every session, drops unused reset links
    /// and writes `event` and `mails`, in one transaction.
    pub async fn set_password_by_operator(
        &self,
        user_id: i64,
        password_hash: &str,
        event: &NewEvent<'_>,
        mails: &[NewMail],
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(password_hash)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "DELETE FROM account_tokens
                 WHERE user_id = $1 AND purpose = 'reset_password' AND used_at IS NULL",
            )
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            insert_event!(&mut *tx, event)?;
            for mail in mails {
                insert_mail!(&mut *tx, mail, event.at)?;
            }
            tx.commit().await
        })
    }

    /// Whether new members may sign up (they may unless the operator closed sign-up).
    pub async fn sign_up_open(&self) -> Result<bool, sqlx::Error> {
        let value: Option<String> = on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT value FROM portal_settings WHERE name = $1"
        )
        .bind(SIGN_UP)
        .fetch_optional(pool)
        .await)?;
        Ok(value.as_deref() != Some("closed"))
    }

    pub async fn set_sign_up_open(&self, open: bool) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| sqlx::query(
            "INSERT INTO portal_settings (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value"
        )
        .bind(SIGN_UP)
        .bind(if open { "open" } else { "closed" })
        .execute(pool)
        .await
        .map(drop))
    }
}
