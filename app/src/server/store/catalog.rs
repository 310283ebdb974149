//! What members read but never write here: the countries and the public directory.

use super::{on_pool, Store};
use crate::model::country::Country;

/// A public profile as stored, before its bio is rendered.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PublicProfileRow {
    pub id: i64,
    pub full_name: String,
    pub position: Option<String>,
    pub company_name: Option<String>,
    pub industry: Option<String>,
    pub profile_tags: Option<String>,
    pub profile_website: Option<String>,
    pub profile_summary: Option<String>,
    pub twitter: Option<String>,
    pub github: Option<String>,
    pub instagram: Option<String>,
    pub linkedin: Option<String>,
}

impl Store {
    /// Every country, by name.
    pub async fn countries(&self) -> Result<Vec<Country>, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query_as(
            "SELECT id, name, two_digits_code FROM countries ORDER BY name"
        )
        .fetch_all(pool)
        .await)
    }

    /// The directory's version: moved on, by the database's triggers, with every change to
    /// what `public_profiles` reads.
    pub async fn directory_version(&self) -> Result<i64, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT version FROM directory_version WHERE id = 1"
        )
        .fetch_one(pool)
        .await)
    }

    /// Public profiles only, by name regardless of case. Private ones are filtered here, never
    /// after.
    pub async fn public_profiles(&self) -> Result<Vec<PublicProfileRow>, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query_as(
            "SELECT id, full_name, position, company_name, industry, profile_tags,
                    profile_website, profile_summary, twitter, github, instagram, linkedin
             FROM customer_profiles WHERE profile_is_public
             ORDER BY lower(full_name), id"
        )
        .fetch_all(pool)
        .await)
    }
}
