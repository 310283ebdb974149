//! Single-use links sent by mail (`account_tokens`), stored as the SHA-256 of their token, and
//! the changes that following one makes, each in one transaction with the mail it causes.

use super::mail::NewMail;
use super::{
    mail::insert_mail,
    on_pool,
    security_log::{insert_event, NewEvent},
    Store,
};
use crate::model::link::LinkPurpose;

/// Which move of the sign-in address a link makes.
#[derive(Clone, Copy, Debug)]
pub enum AddressMove<'a> {
    /// To the new address; `undo` is the link sent to the old one, which moves it back.
    Confirmed { undo: &'a NewToken<'a> },
    /// Back to the old address; every session of the member ends.
    Undone,
}

/// A link as stored (whatever its state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredToken {
    pub id: i64,
    pub user_id: i64,
    /// The address the link is about (see the migration).
    pub email: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// A link about to be stored.
#[derive(Clone, Copy, Debug)]
pub struct NewToken<'a> {
    pub token_hash: &'a [u8],
    pub user_id: i64,
    pub purpose: LinkPurpose,
    pub email: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

/// A member's new sign-in address.
#[derive(Clone, Copy, Debug)]
pub struct NewAddress<'a> {
    pub email: &'a str,
    pub email_normalized: &'a str,
}

/// What following an e-mail change link did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressChange {
    Changed,
    /// The link was used (or expired) between its check and its use.
    Gone,
    /// Another account signs in with the address now; nothing changed.
    Taken,
}

/// Stores link `$token` (a `&NewToken`) on `$executor`, for member `$user_id`.
macro_rules! insert_token {
    ($executor:expr, $token:expr, $user_id:expr) => {{
        let token: &$crate::server::store::tokens::NewToken = $token;
        sqlx::query(
            "INSERT INTO account_tokens
                 (token_hash, user_id, purpose, email, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token.token_hash)
        .bind($user_id)
        .bind(token.purpose.as_str())
        .bind(token.email)
        .bind(token.now)
        .bind(token.expires_at)
        .execute($executor)
        .await
    }};
}
pub(crate) use insert_token;

/// Marks link `$id` used at `$now` if it is still unused and live; whether it was.
macro_rules! use_token {
    ($executor:expr, $id:expr, $now:expr) => {
        sqlx::query(
            "UPDATE account_tokens SET used_at = $1
             WHERE id = $2 AND used_at IS NULL AND expires_at > $1",
        )
        .bind($now)
        .bind($id)
        .execute($executor)
        .await
        .map(|done| done.rows_affected() == 1)
    };
}

/// Deletes the unused links of member `$user_id` for purpose `$purpose` (a `&str`).
macro_rules! drop_unused_tokens {
    ($executor:expr, $user_id:expr, $purpose:expr) => {
        sqlx::query(
            "DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
        )
        .bind($user_id)
        .bind($purpose)
        .execute($executor)
        .await
    };
}

impl Store {
    /// Stores `token`, after deleting the member's unused links of the same purpose (only the
    /// newest one works), and queues `mails`: one transaction.
    pub async fn issue_token(
        &self,
        token: &NewToken<'_>,
        mails: &[NewMail],
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            drop_unused_tokens!(&mut *tx, token.user_id, token.purpose.as_str())?;
            insert_token!(&mut *tx, token, token.user_id)?;
            for mail in mails {
                insert_mail!(&mut *tx, mail, token.now)?;
            }
            tx.commit().await
        })
    }

    /// The link of `purpose` with this token hash, used or not, expired or not.
    pub async fn token(
        &self,
        purpose: LinkPurpose,
        token_hash: &[u8],
    ) -> Result<Option<StoredToken>, sqlx::Error> {
        let row: Option<(i64, i64, String, i64, Option<i64>)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, user_id, email, expires_at, used_at FROM account_tokens
                 WHERE token_hash = $1 AND purpose = $2",
            )
            .bind(token_hash)
            .bind(purpose.as_str())
            .fetch_optional(pool)
            .await
        })?;
        Ok(
            row.map(|(id, user_id, email, expires_at, used_at)| StoredToken {
                id,
                user_id,
                email,
                expires_at,
                used_at,
            }),
        )
    }

    /// Follows reset link `token`: the new password hash, the address counted as verified (the
    /// link reached it), every session and every other reset link of the member ended, `mails`
    /// queued. `false` when the link was used or expired meanwhile (nothing changed).
    pub async fn reset_password(
        &self,
        token: &StoredToken,
        password_hash: &str,
        now: i64,
        mails: &[NewMail],
        event: &NewEvent<'_>,
    ) -> Result<bool, sqlx::Error> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            if !use_token!(&mut *tx, token.id, now)? {
                return Ok(false);
            }
            sqlx::query(
                "UPDATE users SET password_hash = $1,
                     email_verified_at = COALESCE(email_verified_at, $2)
                 WHERE id = $3",
            )
            .bind(password_hash)
            .bind(now)
            .bind(token.user_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(token.user_id)
                .execute(&mut *tx)
                .await?;
            drop_unused_tokens!(&mut *tx, token.user_id, LinkPurpose::ResetPassword.as_str())?;
            for mail in mails {
                insert_mail!(&mut *tx, mail, now)?;
            }
            insert_event!(&mut *tx, event)?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Follows verification link `token`: the member's address counts as verified if it is
    /// still the one the link was sent to. `false` when the link was used or expired meanwhile,
    /// or the address changed since.
    pub async fn verify_email(
        &self,
        token: &StoredToken,
        now: i64,
        event: &NewEvent<'_>,
    ) -> Result<bool, sqlx::Error> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            if !use_token!(&mut *tx, token.id, now)? {
                return Ok(false);
            }
            let verified = sqlx::query(
                "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1)
                 WHERE id = $2 AND email = $3",
            )
            .bind(now)
            .bind(token.user_id)
            .bind(&token.email)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if verified {
                insert_event!(&mut *tx, event)?;
            }
            tx.commit().await?;
            Ok(verified)
        })
    }

    /// Moves the member of link `token` to `address`, verified (the link reached it): their
    /// pending reset, verification and change links are dropped, what `kind` says is done,
    /// `mails` are queued and `event` is logged. One transaction; nothing changes unless it says
    /// `Changed`.
    pub async fn change_email(
        &self,
        token: &StoredToken,
        address: NewAddress<'_>,
        kind: AddressMove<'_>,
        now: i64,
        mails: &[NewMail],
        event: &NewEvent<'_>,
    ) -> Result<AddressChange, sqlx::Error> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            if !use_token!(&mut *tx, token.id, now)? {
                return Ok(AddressChange::Gone);
            }
            let moved = sqlx::query(
                "UPDATE users SET email = $1, email_normalized = $2, email_verified_at = $3
                 WHERE id = $4",
            )
            .bind(address.email)
            .bind(address.email_normalized)
            .bind(now)
            .bind(token.user_id)
            .execute(&mut *tx)
            .await;
            match moved {
                Ok(_) => {}
                Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                    return Ok(AddressChange::Taken)
                }
                Err(error) => return Err(error),
            }
            for purpose in [
                LinkPurpose::ResetPassword,
                LinkPurpose::VerifyEmail,
                LinkPurpose::ConfirmEmailChange,
            ] {
                drop_unused_tokens!(&mut *tx, token.user_id, purpose.as_str())?;
            }
            match kind {
                AddressMove::Confirmed { undo } => insert_token!(&mut *tx, undo, undo.user_id)?,
                AddressMove::Undone => {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(token.user_id)
                        .execute(&mut *tx)
                        .await?
                }
            };
            for mail in mails {
                insert_mail!(&mut *tx, mail, now)?;
            }
            insert_event!(&mut *tx, event)?;
            tx.commit().await?;
            Ok(AddressChange::Changed)
        })
    }

    /// Whether member `user_id`'s address is verified, and since when.
    pub async fn email_verified_at(&self, user_id: i64) -> Result<Option<i64>, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT email_verified_at FROM users WHERE id = $1"
        )
        .bind(user_id)
        .fetch_one(pool)
        .await)
    }

    /// Deletes links that expired at or before `cutoff`; how many.
    pub async fn delete_expired_tokens(&self, cutoff: i64) -> Result<u64, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query(
            "DELETE FROM account_tokens WHERE expires_at <= $1"
        )
        .bind(cutoff)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
    }
}
