//! The member directory: every public profile, with its bio rendered through the sanitiser.

use std::sync::{Arc, Mutex, PoisonError};

use crate::model::{
    directory::{DirectoryEntry, SocialLink},
    profile::{field::SocialNetwork, rules},
};
use crate::server::{
    error::ServiceError,
    profiles::markdown,
    store::{catalog::PublicProfileRow, Store},
};

/// The directory as last read, with the version it was read at. A view asks the database
/// only for the version (`Store::directory_version`, which its triggers move on with every
/// change to what the directory shows, in the change's own transaction) and reads the
/// profiles again only when it moved, so another server's changes count as much as this
/// one's. Shared by the clones of the application state.
#[derive(Clone, Default)]
pub struct DirectoryCache(Arc<Mutex<Option<ReadDirectory>>>);

/// The directory's version and its entries as read at that version.
type ReadDirectory = (i64, Arc<Vec<DirectoryEntry>>);

impl std::fmt::Debug for DirectoryCache {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        formatter
            .debug_struct("DirectoryCache")
            .field("version", &kept.as_ref().map(|(version, _)| *version))
            .finish()
    }
}

impl DirectoryCache {
    fn at(&self, version: i64) -> Option<Arc<Vec<DirectoryEntry>>> {
        match &*self.0.lock().unwrap_or_else(PoisonError::into_inner) {
            Some((read_at, entries)) if *read_at == version => Some(entries.clone()),
            _ => None,
        }
    }

    /// Keeps `entries`, read after the version was `version`, unless a newer read is kept.
    fn keep(&self, version: i64, entries: Arc<Vec<DirectoryEntry>>) {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.as_ref().is_none_or(|(read_at, _)| *read_at <= version) {
            *kept = Some((version, entries));
        }
    }
}

/// Public profiles only, by name. Private ones are filtered by the store, never after.
pub async fn public_profiles(
    store: &Store,
    cache: &DirectoryCache,
) -> Result<Arc<Vec<DirectoryEntry>>, ServiceError> {
    // The version first: a change committed after it was read moves it on again, so the
    // entries kept under it are never older than it says.
    let version = store.directory_version().await?;
    if let Some(entries) = cache.at(version) {
        return Ok(entries);
    }
    let rows = store.public_profiles().await?;
    let entries = Arc::new(rows.into_iter().map(entry).collect::<Vec<_>>());
    cache.keep(version, entries.clone());
    Ok(entries)
}

fn entry(row: PublicProfileRow) -> DirectoryEntry {
    let social = [
        (SocialNetwork::Twitter, row.twitter),
        (SocialNetwork::Github, row.github),
        (SocialNetwork::Instagram, row.instagram),
        (SocialNetwork::Linkedin, row.linkedin),
    ]
    .into_iter()
    .filter_map(|(network, handle)| {
        handle.map(|handle| SocialLink {
            network,
            handle: handle.into(),
        })
    })
    .collect();
    DirectoryEntry {
        id: row.id,
        full_name: row.full_name.into(),
        position: row.position.map(Into::into),
        company_name: row.company_name.map(Into::into),
        industry: row.industry.map(Into::into),
        tags: row
            .profile_tags
            .as_deref()
            .map(rules::split_tags)
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
        website: row.profile_website.map(Into::into),
        social,
        bio_html: row
            .profile_summary
            .as_deref()
            .map(markdown::render)
            .unwrap_or_default()
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::{identity::testing, store::scratch};

    fn names(entries: &[DirectoryEntry]) -> Vec<&str> {
        entries.iter().map(|entry| &*entry.full_name).collect()
    }

    #[tokio::test]
    async fn the_directory_is_read_again_exactly_when_what_it_shows_changed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = scratch::open(dir.path()).await.expect("opens");
        let jane = testing::signed_up(&store, "jane@example.com", "Jane Doe").await;
        let john = testing::signed_up(&store, "john@example.com", "John Roe").await;
        let cache = DirectoryCache::default();
        let set = |sql: String| {
            let store = store.clone();
            async move { store.execute_sql(&sql).await.expect("update") }
        };
        let version = || async { store.directory_version().await.expect("version") };

        assert!(public_profiles(&store, &cache)
            .await
            .expect("read")
            .is_empty());
        let start = version().await;
        // A private profile's change is not the directory's.
        set(format!(
            "UPDATE customer_profiles SET position = 'Chef' WHERE id = {}",
            john.active_profile_id
        ))
        .await;
        assert_eq!(version().await, start);

        set(format!(
            "UPDATE customer_profiles SET profile_is_public = TRUE, position = 'Engineer'
             WHERE id = {}",
            jane.active_profile_id
        ))
        .await;
        assert!(version().await > start, "made public");
        let first = public_profiles(&store, &cache).await.expect("read");
        assert_eq!(names(&first), ["Jane Doe"]);
        assert_eq!(first[0].position.as_deref(), Some("Engineer"));
        // Nothing changed: the same entries, not read again.
        let again = public_profiles(&store, &cache).await.expect("read");
        assert!(Arc::ptr_eq(&first, &again), "kept");

        // A public profile's shown field: read again, with the change.
        let before = version().await;
        set(format!(
            "UPDATE customer_profiles SET position = 'Architect' WHERE id = {}",
            jane.active_profile_id
        ))
        .await;
        assert!(version().await > before);
        let changed = public_profiles(&store, &cache).await.expect("read");
        assert_eq!(changed[0].position.as_deref(), Some("Architect"));

        // A column the directory does not show leaves it as it is.
        let before = version().await;
        set(format!(
            "UPDATE customer_profiles SET mobile_phone = '+351 912 345 678' WHERE id = {}",
            jane.active_profile_id
        ))
        .await;
        assert_eq!(version().await, before);

        // Deleting the account (its profiles go with it) takes the card away.
        set(format!("DELETE FROM users WHERE id = {}", jane.user_id)).await;
        assert!(version().await > before, "deleted");
        assert!(public_profiles(&store, &cache)
            .await
            .expect("read")
            .is_empty());
    }
}
