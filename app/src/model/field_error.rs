//! A failed validation rule on one field: what the API lists in `Errors` and the forms show.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct FieldError {
    /// The field's wire name, e.g. `FullName`.
    pub property_name: String,
    /// A sentence that names the field and the rule.
    pub message: String,
    /// What was sent; always `None` for password fields.
    pub attempted_value: Option<String>,
}

impl FieldError {
    /// An error about a field whose value may be shown back.
    pub fn new(property_name: &str, label: &str, rule: &str, attempted: &str) -> Self {
        FieldError {
            property_name: property_name.to_owned(),
            message: format!("{label} {rule}."),
            attempted_value: Some(attempted.to_owned()),
        }
    }

    /// An error about a secret field: the value is never echoed.
    pub fn secret(property_name: &str, label: &str, rule: &str) -> Self {
        FieldError {
            property_name: property_name.to_owned(),
            message: format!("{label} {rule}."),
            attempted_value: None,
        }
    }
}
