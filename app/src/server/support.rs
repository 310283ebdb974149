//! Storing the support profile: one row per user, created empty on first read, replaced whole
//! in one transaction with a version check and an audit row.

use sqlx::SqlitePool;

use super::{clock, error::ServiceError};
use crate::model::support::SupportProfile;

/// The stored profile and its version (for the ETag).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSupportProfile {
    pub profile: SupportProfile,
    pub version: i64,
}

/// What a replacement left stored, and which fields (by API name) it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replaced {
    pub stored: StoredSupportProfile,
    pub changed: Vec<&'static str>,
}

#[derive(sqlx::FromRow)]
struct Row {
    email: Option<String>,
    telephone: Option<String>,
    website: Option<String>,
    version: i64,
}

impl From<Row> for StoredSupportProfile {
    fn from(row: Row) -> Self {
        StoredSupportProfile {
            profile: SupportProfile {
                email: row.email,
                telephone: row.telephone,
                website: row.website,
            },
            version: row.version,
        }
    }
}

async fn ensure<'e, E: sqlx::SqliteExecutor<'e>>(
    executor: E,
    user_id: i64,
) -> Result<(), ServiceError> {
    sqlx::query("INSERT OR IGNORE INTO support_profiles (user_id, updated_at) VALUES (?, ?)")
        .bind(user_id)
        .bind(clock::now())
        .execute(executor)
        .await?;
    Ok(())
}

const SELECT: &str =
    "SELECT email, telephone, website, version FROM support_profiles WHERE user_id = ?";

/// The user's support profile, created empty if they have none yet.
pub async fn read(pool: &SqlitePool, user_id: i64) -> Result<StoredSupportProfile, ServiceError> {
    ensure(pool, user_id).await?;
    let row: Row = sqlx::query_as(SELECT).bind(user_id).fetch_one(pool).await?;
    Ok(row.into())
}

/// Replaces the whole profile with `replacement` (already validated), if `expected_version`
/// (from `If-Match`) still holds. The version moves only when something changed, so the same
/// replacement twice leaves the same resource and the same ETag; each one is audited.
pub async fn replace(
    pool: &SqlitePool,
    user_id: i64,
    replacement: &SupportProfile,
    expected_version: Option<i64>,
) -> Result<Replaced, ServiceError> {
    let mut tx = pool.begin().await?;
    ensure(&mut *tx, user_id).await?;
    let current: StoredSupportProfile = sqlx::query_as::<_, Row>(SELECT)
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?
        .into();
    if expected_version.is_some_and(|expected| expected != current.version) {
        return Err(ServiceError::PreconditionFailed(
            "The support profile was changed since you read it; read it again and retry."
                .to_owned(),
        ));
    }
    let changed = replacement.changed_from(&current.profile);
    let version = if changed.is_empty() {
        current.version
    } else {
        sqlx::query(
            "UPDATE support_profiles SET email = ?, telephone = ?, website = ?,
                    version = version + 1, updated_at = ?
             WHERE user_id = ?",
        )
        .bind(&replacement.email)
        .bind(&replacement.telephone)
        .bind(&replacement.website)
        .bind(clock::now())
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        current.version + 1
    };
    sqlx::query(
        "INSERT INTO support_profile_audit (user_id, at, actor_user_id, changed_fields)
         VALUES (?, ?, ?, ?)",
    )
    .bind(user_id)
    .bind(clock::now())
    .bind(user_id)
    .bind(changed.join(","))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Replaced {
        stored: StoredSupportProfile {
            profile: replacement.clone(),
            version,
        },
        changed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::testing;

    async fn member() -> (tempfile::TempDir, SqlitePool, i64) {
        let (dir, pool, session) = testing::member().await;
        (dir, pool, session.user_id)
    }

    fn profile(email: Option<&str>, website: Option<&str>) -> SupportProfile {
        SupportProfile {
            email: email.map(str::to_owned),
            telephone: None,
            website: website.map(str::to_owned),
        }
    }

    #[tokio::test]
    async fn the_first_read_creates_an_empty_profile_at_version_1() {
        let (_dir, pool, user) = member().await;
        let stored = read(&pool, user).await.expect("reads");
        assert_eq!(
            stored,
            StoredSupportProfile {
                profile: SupportProfile::default(),
                version: 1
            }
        );
        assert_eq!(read(&pool, user).await.expect("again").version, 1);
    }

    #[tokio::test]
    async fn a_replacement_clears_what_it_leaves_out_and_repeating_it_changes_nothing() {
        let (_dir, pool, user) = member().await;
        let first = replace(
            &pool,
            user,
            &profile(Some("a@acme.example"), Some("acme.example")),
            None,
        )
        .await
        .expect("replaces")
        .stored;
        assert_eq!(first.version, 2);
        let second = replace(&pool, user, &profile(Some("b@acme.example"), None), Some(2))
            .await
            .expect("replaces")
            .stored;
        assert_eq!(second.version, 3);
        assert_eq!(
            read(&pool, user).await.expect("reads").profile,
            profile(Some("b@acme.example"), None)
        );
        let again = replace(&pool, user, &profile(Some("b@acme.example"), None), Some(3))
            .await
            .expect("idempotent");
        assert!(again.changed.is_empty());
        assert_eq!(again.stored.version, 3, "nothing changed, same version");
        let audits: Vec<String> =
            sqlx::query_scalar("SELECT changed_fields FROM support_profile_audit ORDER BY id")
                .fetch_all(&pool)
                .await
                .expect("audit");
        assert_eq!(audits, vec!["email,website", "email,website", ""]);
    }

    #[tokio::test]
    async fn a_stale_version_writes_nothing() {
        let (_dir, pool, user) = member().await;
        replace(&pool, user, &profile(Some("a@acme.example"), None), None)
            .await
            .expect("replaces");
        assert!(matches!(
            replace(&pool, user, &profile(Some("b@acme.example"), None), Some(1)).await,
            Err(ServiceError::PreconditionFailed(_))
        ));
        let stored = read(&pool, user).await.expect("reads");
        assert_eq!(
            (stored.profile.email.as_deref(), stored.version),
            (Some("a@acme.example"), 2)
        );
        let audits: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM support_profile_audit")
            .fetch_one(&pool)
            .await
            .expect("count");
        assert_eq!(audits, 1);
    }
}
