//! The ISO 3166-1 countries that `CountryId` and `BillingCountryId` refer to.

use std::sync::Arc;

use tokio::sync::OnceCell;

pub use crate::model::country::{Country, CountryChoices};
use crate::server::{error::ServiceError, store::Store};

/// The country list, read from the database on first use and kept: the migrations write it and
/// nothing changes it while the server runs. (Read per page, it was a 249-row query and 500
/// strings for every page with a country select.)
#[derive(Clone, Debug, Default)]
pub struct CountryList(Arc<OnceCell<Arc<CountryChoices>>>);

impl CountryList {
    /// Every country, by name, and the select's options made from them.
    pub async fn choices(&self, store: &Store) -> Result<Arc<CountryChoices>, ServiceError> {
        Ok(self
            .0
            .get_or_try_init(|| async {
                store
                    .countries()
                    .await
                    .map(|list| Arc::new(CountryChoices::new(list)))
            })
            .await?
            .clone())
    }

    /// Every country, by name.
    pub async fn all(&self, store: &Store) -> Result<Vec<Country>, ServiceError> {
        Ok(self.choices(store).await?.list.clone())
    }

    /// The two-letter code of country `id`, or `None` if there is no such country: read from
    /// the list in memory, not the database.
    pub async fn code_of(&self, store: &Store, id: i64) -> Result<Option<String>, ServiceError> {
        Ok(self.choices(store).await?.code_of(id).map(str::to_owned))
    }
}
