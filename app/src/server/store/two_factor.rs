//! Two-factor sign-in's rows: the member's TOTP secret, their recovery codes (hashed) and the
//! half-finished sign-ins waiting for a code (see `server::identity::two_factor`).

use super::{
    on_pool,
    security_log::{insert_event, NewEvent},
    Store,
};

/// The member's authenticator-app secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TotpFactor {
    pub secret: Vec<u8>,
    /// `None` while it waits for the first code that turns it on.
    pub enabled_at: Option<i64>,
}

/// A sign-in waiting for its second step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub user_id: i64,
    pub known_device: bool,
}

/// Replaces the recovery codes of `$user_id` by `$codes` (hashes) in transaction `$tx`.
macro_rules! replace_codes {
    ($tx:expr, $user_id:expr, $codes:expr) => {{
        let tx = $tx;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind($user_id)
            .execute(&mut **tx)
            .await?;
        for code in $codes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind($user_id)
                .bind(code)
                .execute(&mut **tx)
                .await?;
        }
    }};
}

impl Store {
    pub async fn totp_factor(&self, user_id: i64) -> Result<Option<TotpFactor>, sqlx::Error> {
        let row: Option<(Vec<u8>, Option<i64>)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT secret, enabled_at FROM totp_factors WHERE user_id = $1"
        )
        .bind(user_id)
        .fetch_optional(pool)
        .await)?;
        Ok(row.map(|(secret, enabled_at)| TotpFactor { secret, enabled_at }))
    }

    /// Stores a new secret waiting to be confirmed, replacing one that still waits; `false`
    /// (and nothing changes) when the member's factor is already on.
    pub async fn start_totp(
        &self,
        user_id: i64,
        secret: &[u8],
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = on_pool!(self, |pool| sqlx::query(
            "INSERT INTO totp_factors (user_id, secret, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret,
                 created_at = excluded.created_at
             WHERE totp_factors.enabled_at IS NULL"
        )
        .bind(user_id)
        .bind(secret)
        .bind(now)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    /// Turns the waiting factor on with the step of its first code, stores `codes` (hashes) as
    /// the recovery codes and `pending` (their text, shown once), and logs `event`: one
    /// transaction. `false` when no factor was waiting (nothing changes).
    pub async fn enable_totp(
        &self,
        user_id: i64,
        step: i64,
        codes: &[Vec<u8>],
        pending: &str,
        event: &NewEvent<'_>,
    ) -> Result<bool, sqlx::Error> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let enabled = sqlx::query(
                "UPDATE totp_factors SET enabled_at = $2, last_step = $3, pending_codes = $4
                 WHERE user_id = $1 AND enabled_at IS NULL",
            )
            .bind(user_id)
            .bind(event.at)
            .bind(step)
            .bind(pending)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !enabled {
                return Ok(false);
            }
            replace_codes!(&mut tx, user_id, codes);
            insert_event!(&mut *tx, event)?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Replaces the recovery codes of a member whose factor is on (`false` if it is off).
    pub async fn replace_recovery_codes(
        &self,
        user_id: i64,
        codes: &[Vec<u8>],
        pending: &str,
        event: &NewEvent<'_>,
    ) -> Result<bool, sqlx::Error> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let on = sqlx::query(
                "UPDATE totp_factors SET pending_codes = $2
                 WHERE user_id = $1 AND enabled_at IS NOT NULL",
            )
            .bind(user_id)
            .bind(pending)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !on {
                return Ok(false);
            }
            replace_codes!(&mut tx, user_id, codes);
            insert_event!(&mut *tx, event)?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The recovery codes made last, as text, if they were not shown yet; they are forgotten
    /// as they are read, so they are shown once.
    pub async fn take_pending_codes(&self, user_id: i64) -> Result<Option<String>, sqlx::Error> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let codes: Option<Option<String>> =
                sqlx::query_scalar("SELECT pending_codes FROM totp_factors WHERE user_id = $1")
                    .bind(user_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let codes = codes.flatten();
            if codes.is_some() {
                sqlx::query("UPDATE totp_factors SET pending_codes = NULL WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(codes)
        })
    }

    /// Accepts time step `step` for the member's factor if no code of that step or a later one
    /// was accepted before: whether it was (so each code works once).
    pub async fn accept_totp_step(&self, user_id: i64, step: i64) -> Result<bool, sqlx::Error> {
        let done = on_pool!(self, |pool| sqlx::query(
            "UPDATE totp_factors SET last_step = $2
             WHERE user_id = $1 AND enabled_at IS NOT NULL AND last_step < $2"
        )
        .bind(user_id)
        .bind(step)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    /// Uses the recovery code with hash `hash` up: whether it existed unused.
    pub async fn use_recovery_code(
        &self,
        user_id: i64,
        hash: &[u8],
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = on_pool!(self, |pool| sqlx::query(
            "UPDATE recovery_codes SET used_at = $3
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL"
        )
        .bind(user_id)
        .bind(hash)
        .bind(now)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    pub async fn recovery_codes_left(&self, user_id: i64) -> Result<i64, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL"
        )
        .bind(user_id)
        .fetch_one(pool)
        .await)
    }

    /// Turns the factor off: the secret and the recovery codes go, and `event` is logged.
    pub async fn disable_totp(
        &self,
        user_id: i64,
        event: &NewEvent<'_>,
    ) -> Result<bool, sqlx::Error> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let removed = sqlx::query(
                "DELETE FROM totp_factors WHERE user_id = $1 AND enabled_at IS NOT NULL",
            )
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !removed {
                return Ok(false);
            }
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            insert_event!(&mut *tx, event)?;
            tx.commit().await?;
            Ok(true)
        })
    }

    pub async fn insert_challenge(
        &self,
        token_hash: &[u8],
        challenge: Challenge,
        expires_at: i64,
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| sqlx::query(
            "INSERT INTO sign_in_challenges (token_hash, user_id, expires_at, known_device)
             VALUES ($1, $2, $3, $4)"
        )
        .bind(token_hash)
        .bind(challenge.user_id)
        .bind(expires_at)
        .bind(challenge.known_device)
        .execute(pool)
        .await
        .map(drop))
    }

    /// The live challenge with this token hash, counting one more attempt at it; `None` when it
    /// is unknown, expired or out of attempts (`max_attempts`).
    pub async fn attempt_challenge(
        &self,
        token_hash: &[u8],
        now: i64,
        max_attempts: i64,
    ) -> Result<Option<Challenge>, sqlx::Error> {
        let row: Option<(i64, bool)> = on_pool!(self, |pool| sqlx::query_as(
            "UPDATE sign_in_challenges SET attempts = attempts + 1
             WHERE token_hash = $1 AND expires_at > $2 AND attempts < $3
             RETURNING user_id, known_device"
        )
        .bind(token_hash)
        .bind(now)
        .bind(max_attempts)
        .fetch_optional(pool)
        .await)?;
        Ok(row.map(|(user_id, known_device)| Challenge {
            user_id,
            known_device,
        }))
    }

    /// The live challenge with this token hash, without counting an attempt (`None` when it is
    /// unknown or expired).
    pub async fn peek_challenge(
        &self,
        token_hash: &[u8],
        now: i64,
    ) -> Result<Option<Challenge>, sqlx::Error> {
        let row: Option<(i64, bool)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT user_id, known_device FROM sign_in_challenges
             WHERE token_hash = $1 AND expires_at > $2"
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(pool)
        .await)?;
        Ok(row.map(|(user_id, known_device)| Challenge {
            user_id,
            known_device,
        }))
    }

    /// Ends a challenge (its sign-in finished); whether it was still there.
    pub async fn delete_challenge(&self, token_hash: &[u8]) -> Result<bool, sqlx::Error> {
        let done = on_pool!(self, |pool| sqlx::query(
            "DELETE FROM sign_in_challenges WHERE token_hash = $1"
        )
        .bind(token_hash)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    /// Deletes the challenges that expired by `now`; how many.
    pub async fn delete_expired_challenges(&self, now: i64) -> Result<u64, sqlx::Error> {
        let done = on_pool!(self, |pool| sqlx::query(
            "DELETE FROM sign_in_challenges WHERE expires_at <= $1"
        )
        .bind(now)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(done)
    }
}
