//! Passkeys' rows: the members' registered credentials and the ceremonies waiting for the
//! browser's answer (see `server::identity::passkeys`).

use super::{
    on_pool,
    security_log::{insert_event, NewEvent},
    Store,
};

/// A registered passkey as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPasskey {
    pub id: i64,
    pub user_id: i64,
    pub user_handle: Vec<u8>,
    pub name: String,
    /// webauthn-rs's `Passkey`, as JSON.
    pub credential: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// What a ceremony is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Register,
    SignIn,
    SecondFactor,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::SignIn => "sign_in",
            Purpose::SecondFactor => "second_factor",
        }
    }
}

/// The server's half of a ceremony.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ceremony {
    pub user_id: Option<i64>,
    /// The passkey's name, when registering.
    pub name: String,
    /// webauthn-rs's state, as JSON.
    pub state: String,
}

type PasskeyRow = (i64, i64, Vec<u8>, String, String, i64, Option<i64>);

fn passkey(
    (id, user_id, user_handle, name, credential, created_at, last_used_at): PasskeyRow,
) -> StoredPasskey {
    StoredPasskey {
        id,
        user_id,
        user_handle,
        name,
        credential,
        created_at,
        last_used_at,
    }
}

const COLUMNS: &str =
    "id, user_id, user_handle, name, credential, created_at, last_used_at FROM passkeys";

impl Store {
    /// Member `user_id`'s passkeys, oldest first.
    pub async fn passkeys_of(&self, user_id: i64) -> Result<Vec<StoredPasskey>, sqlx::Error> {
        let sql = format!("SELECT {COLUMNS} WHERE user_id = $1 ORDER BY id");
        let rows: Vec<PasskeyRow> = on_pool!(self, |pool| sqlx::query_as(super::built(&sql))
            .bind(user_id)
            .fetch_all(pool)
            .await)?;
        Ok(rows.into_iter().map(passkey).collect())
    }

    /// Whether member `user_id` registered a passkey.
    pub async fn has_passkey(&self, user_id: i64) -> Result<bool, sqlx::Error> {
        let count: i64 = on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM passkeys WHERE user_id = $1"
        )
        .bind(user_id)
        .fetch_one(pool)
        .await)?;
        Ok(count > 0)
    }

    /// The passkey with this credential id, whoever's it is.
    pub async fn passkey_by_credential(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<StoredPasskey>, sqlx::Error> {
        let sql = format!("SELECT {COLUMNS} WHERE credential_id = $1");
        let row: Option<PasskeyRow> = on_pool!(self, |pool| sqlx::query_as(super::built(&sql))
            .bind(credential_id)
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(passkey))
    }

    /// Stores a new passkey and logs `event`, in one transaction, unless the member has
    /// `max` already: `Ok(None)` then, or when the credential is registered already (to anyone).
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_passkey(
        &self,
        user_id: i64,
        credential_id: &[u8],
        user_handle: &[u8],
        name: &str,
        credential: &str,
        max: i64,
        event: &NewEvent<'_>,
    ) -> Result<Option<i64>, sqlx::Error> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO passkeys (user_id, credential_id, user_handle, name, credential,
                                       created_at)
                 SELECT $1, $2, $3, $4, $5, $6
                 WHERE (SELECT COUNT(*) FROM passkeys WHERE user_id = $1) < $7
                 ON CONFLICT (credential_id) DO NOTHING
                 RETURNING id",
            )
            .bind(user_id)
            .bind(credential_id)
            .bind(user_handle)
            .bind(name)
            .bind(credential)
            .bind(event.at)
            .bind(max)
            .fetch_optional(&mut *tx)
            .await?;
            if id.is_some() {
                insert_event!(&mut *tx, event)?;
                tx.commit().await?;
            }
            Ok(id)
        })
    }

    /// Records a use of the passkey: its updated record (the signature counter) and when.
    pub async fn passkey_used(
        &self,
        id: i64,
        credential: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE passkeys SET credential = $2, last_used_at = $3 WHERE id = $1"
        )
        .bind(id)
        .bind(credential)
        .bind(now)
        .execute(pool)
        .await
        .map(drop))
    }

    /// Removes member `user_id`'s passkey `id` and logs `event` with the passkey's name as its
    /// detail: the name, or `None` when the member has no such passkey (nothing changes).
    pub async fn delete_passkey(
        &self,
        user_id: i64,
        id: i64,
        event: &NewEvent<'_>,
    ) -> Result<Option<String>, sqlx::Error> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let name: Option<String> = sqlx::query_scalar(
                "DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING name",
            )
            .bind(id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(name) = &name {
                insert_event!(
                    &mut *tx,
                    &NewEvent {
                        detail: name,
                        ..*event
                    }
                )?;
                tx.commit().await?;
            }
            Ok(name)
        })
    }

    pub async fn insert_ceremony(
        &self,
        token_hash: &[u8],
        purpose: Purpose,
        ceremony: &Ceremony,
        expires_at: i64,
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| sqlx::query(
            "INSERT INTO passkey_ceremonies (token_hash, purpose, user_id, name, state, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(ceremony.user_id)
        .bind(&ceremony.name)
        .bind(&ceremony.state)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(drop))
    }

    /// Takes the live ceremony with this token hash and purpose (it is deleted: each is
    /// finished once, right or wrong); `None` when unknown, expired or for something else.
    pub async fn take_ceremony(
        &self,
        token_hash: &[u8],
        purpose: Purpose,
        now: i64,
    ) -> Result<Option<Ceremony>, sqlx::Error> {
        let row: Option<(Option<i64>, String, String, i64, String)> =
            on_pool!(self, |pool| sqlx::query_as(
                "DELETE FROM passkey_ceremonies WHERE token_hash = $1
                 RETURNING user_id, name, state, expires_at, purpose"
            )
            .bind(token_hash)
            .fetch_optional(pool)
            .await)?;
        Ok(row
            .filter(|(.., expires_at, kind)| *expires_at > now && kind == purpose.as_str())
            .map(|(user_id, name, state, ..)| Ceremony {
                user_id,
                name,
                state,
            }))
    }

    /// Deletes the ceremonies that expired by `now`; how many.
    pub async fn delete_expired_ceremonies(&self, now: i64) -> Result<u64, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query(
            "DELETE FROM passkey_ceremonies WHERE expires_at <= $1"
        )
        .bind(now)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
    }
}
