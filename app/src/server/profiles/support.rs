//! The support profile: one per user, created empty on first read, replaced whole with a version
//! check and an audit row.

use crate::model::support::SupportProfile;
pub use crate::server::store::support::StoredSupportProfile;
use crate::server::{
    clock,
    error::ServiceError,
    identity::client::Origin,
    store::{support::ReplaceRefused, Store},
};

/// What a replacement left stored, and which fields (by API name) it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replaced {
    pub stored: StoredSupportProfile,
    pub changed: Vec<&'static str>,
}

/// The user's support profile, created empty if they have none yet.
pub async fn read(store: &Store, user_id: i64) -> Result<StoredSupportProfile, ServiceError> {
    Ok(store.support_profile(user_id, clock::now()).await?)
}

/// Replaces the whole profile with `replacement` (already validated), if `expected_version`
/// (from `If-Match`) still holds. The version moves only when something changed, so the same
/// replacement twice leaves the same resource and the same ETag; each one is audited.
pub async fn replace(
    store: &Store,
    user_id: i64,
    replacement: &SupportProfile,
    expected_version: Option<i64>,
    origin: &Origin,
) -> Result<Replaced, ServiceError> {
    let (version, changed) = store
        .replace_support_profile(
            user_id,
            replacement,
            expected_version,
            clock::now(),
            origin,
            |current| replacement.changed_from(current),
        )
        .await
        .map_err(|refused| match refused {
            ReplaceRefused::Stale => ServiceError::PreconditionFailed(
                "The support profile was changed since you read it; read it again and retry."
                    .to_owned(),
            ),
            ReplaceRefused::Failed(error) => error.into(),
        })?;
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
    use crate::server::identity::testing;

    async fn member() -> (tempfile::TempDir, Store, i64) {
        let (dir, store, session) = testing::member().await;
        (dir, store, session.user_id)
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
        let (_dir, store, user) = member().await;
        let stored = read(&store, user).await.expect("reads");
        assert_eq!(
            stored,
            StoredSupportProfile {
                profile: SupportProfile::default(),
                version: 1
            }
        );
        assert_eq!(read(&store, user).await.expect("again").version, 1);
    }

    #[tokio::test]
    async fn a_replacement_clears_what_it_leaves_out_and_repeating_it_changes_nothing() {
        let (_dir, store, user) = member().await;
        let first = replace(
            &store,
            user,
            &profile(Some("a@acme.example"), Some("acme.example")),
            None,
            &Origin::default(),
        )
        .await
        .expect("replaces")
        .stored;
        assert_eq!(first.version, 2);
        let second = replace(
            &store,
            user,
            &profile(Some("b@acme.example"), None),
            Some(2),
            &Origin::default(),
        )
        .await
        .expect("replaces")
        .stored;
        assert_eq!(second.version, 3);
        assert_eq!(
            read(&store, user).await.expect("reads").profile,
            profile(Some("b@acme.example"), None)
        );
        let again = replace(
            &store,
            user,
            &profile(Some("b@acme.example"), None),
            Some(3),
            &Origin::default(),
        )
        .await
        .expect("idempotent");
        assert!(again.changed.is_empty());
        assert_eq!(again.stored.version, 3, "nothing changed, same version");
        let audits: Vec<String> = store
            .scalars_sql("SELECT changed_fields FROM support_profile_audit ORDER BY id")
            .await
            .expect("audit");
        assert_eq!(audits, vec!["email,website", "email,website", ""]);
    }

    #[tokio::test]
    async fn a_stale_version_writes_nothing() {
        let (_dir, store, user) = member().await;
        replace(
            &store,
            user,
            &profile(Some("a@acme.example"), None),
            None,
            &Origin::default(),
        )
        .await
        .expect("replaces");
        assert!(matches!(
            replace(
                &store,
                user,
                &profile(Some("b@acme.example"), None),
                Some(1),
                &Origin::default(),
            )
            .await,
            Err(ServiceError::PreconditionFailed(_))
        ));
        let stored = read(&store, user).await.expect("reads");
        assert_eq!(
            (stored.profile.email.as_deref(), stored.version),
            (Some("a@acme.example"), 2)
        );
        let audits: i64 = store
            .scalar_sql("SELECT COUNT(*) FROM support_profile_audit")
            .await
            .expect("count");
        assert_eq!(audits, 1);
    }
}
