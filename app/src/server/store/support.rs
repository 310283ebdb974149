//! The support profile: one row per user, created empty on first read, replaced whole.

use super::{
    on_pool,
    security_log::{insert_event, NewEvent},
    Store,
};
use crate::model::{
    security::{EventKind, Origin},
    support::SupportProfile,
};

/// The stored profile and its version (for the ETag).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSupportProfile {
    pub profile: SupportProfile,
    pub version: i64,
}

/// Why a replacement was not stored.
#[derive(Debug)]
pub enum ReplaceRefused {
    /// The stored version is no longer the expected one; nothing was written.
    Stale,
    Failed(sqlx::Error),
}

impl From<sqlx::Error> for ReplaceRefused {
    fn from(error: sqlx::Error) -> Self {
        ReplaceRefused::Failed(error)
    }
}

type Row = (Option<String>, Option<String>, Option<String>, i64);

fn stored((email, telephone, website, version): Row) -> StoredSupportProfile {
    StoredSupportProfile {
        profile: SupportProfile {
            email,
            telephone,
            website,
        },
        version,
    }
}

const ENSURE: &str = "INSERT INTO support_profiles (user_id, updated_at) VALUES ($1, $2)
     ON CONFLICT (user_id) DO NOTHING";
/// The row, locked until the transaction ends where the database locks rows (PostgreSQL; SQLite's
/// write transaction already excludes every other writer).
const SELECT: &str =
    "SELECT email, telephone, website, version FROM support_profiles WHERE user_id = $1";

impl Store {
    /// The user's support profile, created empty at `now` if they have none yet.
    pub async fn support_profile(
        &self,
        user_id: i64,
        now: i64,
    ) -> Result<StoredSupportProfile, sqlx::Error> {
        let row: Row = on_pool!(self, |pool| {
            sqlx::query(ENSURE)
                .bind(user_id)
                .bind(now)
                .execute(pool)
                .await?;
            sqlx::query_as(SELECT).bind(user_id).fetch_one(pool).await
        })?;
        Ok(stored(row))
    }

    /// In one transaction: reads the stored profile, refuses if `expected_version` no longer
    /// holds, stores `replacement` when `changed_from` (called with what is stored) names any
    /// field, moving the version on, and audits the replacement with those names. Returns the
    /// version now stored and the names.
    pub async fn replace_support_profile(
        &self,
        user_id: i64,
        replacement: &SupportProfile,
        expected_version: Option<i64>,
        now: i64,
        origin: &Origin,
        changed_from: impl Fn(&SupportProfile) -> Vec<&'static str>,
    ) -> Result<(i64, Vec<&'static str>), ReplaceRefused> {
        let select = match self {
            Store::Sqlite(_) => SELECT.to_owned(),
            Store::Postgres(_) => format!("{SELECT} FOR UPDATE"),
        };
        on_pool!(self, |pool| {
            let mut tx = match self {
                // Takes the write lock now, so the version read below cannot go stale.
                Store::Sqlite(_) => pool.begin_with("BEGIN IMMEDIATE").await?,
                Store::Postgres(_) => pool.begin().await?,
            };
            sqlx::query(ENSURE)
                .bind(user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let current = stored(
                sqlx::query_as(super::built(&select))
                    .bind(user_id)
                    .fetch_one(&mut *tx)
                    .await?,
            );
            if expected_version.is_some_and(|expected| expected != current.version) {
                return Err(ReplaceRefused::Stale);
            }
            let changed = changed_from(&current.profile);
            let version = if changed.is_empty() {
                current.version
            } else {
                sqlx::query(
                    "UPDATE support_profiles SET email = $1, telephone = $2, website = $3,
                            version = version + 1, updated_at = $4
                     WHERE user_id = $5",
                )
                .bind(&replacement.email)
                .bind(&replacement.telephone)
                .bind(&replacement.website)
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
                current.version + 1
            };
            sqlx::query(
                "INSERT INTO support_profile_audit (user_id, at, actor_user_id, changed_fields)
                 VALUES ($1, $2, $1, $3)",
            )
            .bind(user_id)
            .bind(now)
            .bind(changed.join(","))
            .execute(&mut *tx)
            .await?;
            insert_event!(
                &mut *tx,
                &NewEvent {
                    user_id,
                    kind: EventKind::SupportProfileReplaced.as_str(),
                    detail: &changed.join(","),
                    origin,
                    at: now,
                }
            )?;
            tx.commit().await?;
            Ok((version, changed))
        })
    }
}
