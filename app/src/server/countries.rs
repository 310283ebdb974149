//! The ISO 3166-1 countries that `CountryId` and `BillingCountryId` refer to.

use sqlx::SqlitePool;

use super::error::ServiceError;
pub use crate::model::country::Country;

pub async fn all(pool: &SqlitePool) -> Result<Vec<Country>, ServiceError> {
    Ok(
        sqlx::query_as("SELECT id, name, two_digits_code FROM countries ORDER BY name")
            .fetch_all(pool)
            .await?,
    )
}

/// The two-letter code of country `id`, or `None` if there is no such country.
pub async fn code_of(pool: &SqlitePool, id: i64) -> Result<Option<String>, ServiceError> {
    Ok(
        sqlx::query_scalar("SELECT two_digits_code FROM countries WHERE id = ?")
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}
