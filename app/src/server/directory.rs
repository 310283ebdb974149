//! The member directory: every public profile, with its bio rendered through the sanitiser.

use super::{
    error::ServiceError,
    markdown,
    store::{catalog::PublicProfileRow, Store},
};
use crate::model::{
    directory::{DirectoryEntry, SocialLink},
    profile::{field::SocialNetwork, rules},
};

/// Public profiles only, by name. Private ones are filtered by the store, never after.
pub async fn public_profiles(store: &Store) -> Result<Vec<DirectoryEntry>, ServiceError> {
    let rows = store.public_profiles().await?;
    Ok(rows.into_iter().map(entry).collect())
}

fn entry(row: PublicProfileRow) -> DirectoryEntry {
    let social = [
        (SocialNetwork::Twitter, row.twitter),
        (SocialNetwork::Github, row.github),
        (SocialNetwork::Instagram, row.instagram),
        (SocialNetwork::Linkedin, row.linkedin),
    ]
    .into_iter()
    .filter_map(|(network, handle)| handle.map(|handle| SocialLink { network, handle }))
    .collect();
    DirectoryEntry {
        id: row.id,
        full_name: row.full_name,
        position: row.position,
        company_name: row.company_name,
        industry: row.industry,
        tags: row
            .profile_tags
            .as_deref()
            .map(rules::split_tags)
            .unwrap_or_default(),
        website: row.profile_website,
        social,
        bio_html: row
            .profile_summary
            .as_deref()
            .map(markdown::render)
            .unwrap_or_default(),
    }
}
