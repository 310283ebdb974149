//! The ISO 3166-1 countries that `CountryId` and `BillingCountryId` refer to.

use super::{error::ServiceError, store::Store};
pub use crate::model::country::Country;

pub async fn all(store: &Store) -> Result<Vec<Country>, ServiceError> {
    Ok(store.countries().await?)
}

/// The two-letter code of country `id`, or `None` if there is no such country.
pub async fn code_of(store: &Store, id: i64) -> Result<Option<String>, ServiceError> {
    Ok(store.country_code(id).await?)
}
