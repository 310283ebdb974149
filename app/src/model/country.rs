//! A country of the ISO 3166-1 list that `CountryId` and `BillingCountryId` refer to.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow, utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Country {
    /// The ISO 3166-1 numeric code.
    pub id: i64,
    pub name: String,
    /// The ISO 3166-1 alpha-2 code.
    pub two_digits_code: String,
}
