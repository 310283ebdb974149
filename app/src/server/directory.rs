//! The member directory: every public profile, with its bio rendered through the sanitiser.

use sqlx::SqlitePool;

use super::{error::ServiceError, markdown};
use crate::model::{
    directory::{DirectoryEntry, SocialLink},
    profile::{field::SocialNetwork, rules},
};

#[derive(sqlx::FromRow)]
struct PublicProfileRow {
    id: i64,
    full_name: String,
    position: Option<String>,
    company_name: Option<String>,
    industry: Option<String>,
    profile_tags: Option<String>,
    profile_website: Option<String>,
    profile_summary: Option<String>,
    twitter: Option<String>,
    github: Option<String>,
    instagram: Option<String>,
    linkedin: Option<String>,
}

/// Public profiles only, by name. Private ones are filtered in SQL, never after.
pub async fn public_profiles(pool: &SqlitePool) -> Result<Vec<DirectoryEntry>, ServiceError> {
    let rows: Vec<PublicProfileRow> = sqlx::query_as(
        "SELECT id, full_name, position, company_name, industry, profile_tags, profile_website,
                profile_summary, twitter, github, instagram, linkedin
         FROM customer_profiles WHERE profile_is_public = 1
         ORDER BY full_name COLLATE NOCASE, id",
    )
    .fetch_all(pool)
    .await?;
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
