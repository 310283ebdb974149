//! The profile patch: each field left out (keep), sent as `null` (clear) or sent with a value
//! (set), parsed from the JSON body with an error per unknown name or wrong JSON type.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::{
    field::{FieldKind, ProfileField},
    rules,
};
use crate::model::{field_error::FieldError, gender::Gender};

/// A value as sent, already of the JSON type its field expects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SentValue {
    Text(String),
    Integer(i64),
    Flag(bool),
}

/// A value after its rules ran: what gets stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum StoredValue {
    Text(String),
    Integer(i64),
    Flag(bool),
}

/// A profile's stored fields as read, each with its value (`None`: empty). Wire names belong to
/// the doors; this is what the services pass around.
pub type ProfileValues = BTreeMap<ProfileField, Option<StoredValue>>;

/// The values as the API shows them: wire name to value, `null` when empty.
pub fn values_json(values: &ProfileValues) -> Map<String, Value> {
    values
        .iter()
        .map(|(field, value)| (field.wire_name().to_owned(), stored_json(value)))
        .collect()
}

/// The text a field holds, if it holds text that is not blank.
pub fn stored_text(values: &ProfileValues, field: ProfileField) -> Option<&str> {
    match values.get(&field) {
        Some(Some(StoredValue::Text(text))) => Some(text.trim()).filter(|text| !text.is_empty()),
        _ => None,
    }
}

/// A stored value (or `None`, cleared) as the API shows it.
pub fn stored_json(value: &Option<StoredValue>) -> Value {
    match value {
        None => Value::Null,
        Some(StoredValue::Text(text)) => Value::String(text.clone()),
        Some(StoredValue::Integer(number)) => Value::from(*number),
        Some(StoredValue::Flag(flag)) => Value::Bool(*flag),
    }
}

/// The fields a request wants changed; absent fields are simply not in it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProfilePatch {
    /// `None` is an explicit `null`: clear the field.
    entries: BTreeMap<ProfileField, Option<SentValue>>,
    /// Names that are not fields, and values of the wrong JSON type, found while parsing; they
    /// are reported by [`ProfilePatch::validate`] together with every broken rule.
    rejected: Vec<FieldError>,
}

/// What the caller knows that the rules need besides the patch.
#[derive(Clone, Debug)]
pub struct ValidationContext {
    pub today: NaiveDate,
    /// Two-letter code of the billing country the profile will have after this patch.
    pub billing_country_code: Option<String>,
}

/// A password change requested through the patch (checked for presence and match here; the
/// current password and the location's policy are checked by the server).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
    /// With two-factor sign-in on, the app's code or a recovery code (checked on the server).
    pub code: Option<String>,
}

/// A patch whose every value passed its rule.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ValidatedPatch {
    /// Column changes, in field order; `None` clears the column.
    pub changes: Vec<(ProfileField, Option<StoredValue>)>,
    pub password_change: Option<PasswordChange>,
}

impl ProfilePatch {
    pub fn new() -> Self {
        ProfilePatch::default()
    }

    pub fn set_text(mut self, field: ProfileField, value: impl Into<String>) -> Self {
        self.entries
            .insert(field, Some(SentValue::Text(value.into())));
        self
    }

    pub fn set_integer(mut self, field: ProfileField, value: i64) -> Self {
        self.entries.insert(field, Some(SentValue::Integer(value)));
        self
    }

    pub fn set_flag(mut self, field: ProfileField, value: bool) -> Self {
        self.entries.insert(field, Some(SentValue::Flag(value)));
        self
    }

    pub fn clear(mut self, field: ProfileField) -> Self {
        self.entries.insert(field, None);
        self
    }

    /// Records that `field` was sent as the wrong type of value (`expected` says which);
    /// [`ProfilePatch::validate`] reports it.
    pub fn wrong_type(mut self, field: ProfileField, expected: &str, sent: String) -> Self {
        self.rejected.push(FieldError {
            property_name: field.wire_name().to_owned(),
            message: format!("{} must be {expected}.", field.label()),
            attempted_value: (!field.is_secret()).then_some(sent),
        });
        self
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The fields present, in field order.
    pub fn fields(&self) -> impl Iterator<Item = ProfileField> + '_ {
        self.entries.keys().copied()
    }

    /// The value sent for `field`: `None` when absent, `Some(None)` when `null`.
    pub fn get(&self, field: ProfileField) -> Option<Option<&SentValue>> {
        self.entries.get(&field).map(Option::as_ref)
    }

    /// Parses a JSON body. Unknown names and wrong JSON types are kept as errors (each naming
    /// its field) for [`ProfilePatch::validate`] to report along with the rules it checks.
    pub fn from_json(body: &Value) -> Self {
        let mut patch = ProfilePatch::new();
        let Value::Object(object) = body else {
            patch.rejected.push(FieldError {
                property_name: String::new(),
                message: "The body must be a JSON object of the fields to change.".to_owned(),
                attempted_value: None,
            });
            return patch;
        };
        let mut wrong_types = Vec::new();
        let errors = &mut patch.rejected;
        for (name, value) in object {
            let Some(field) = ProfileField::from_wire_name(name) else {
                let hint = ProfileField::closest_to(name)
                    .map(|field| format!(" Did you mean {}?", field.wire_name()))
                    .unwrap_or_default();
                errors.push(FieldError {
                    property_name: name.clone(),
                    message: format!("{name} is not a profile field.{hint}"),
                    attempted_value: None,
                });
                continue;
            };
            match sent_value(field, value) {
                Ok(sent) => {
                    patch.entries.insert(field, sent);
                }
                Err(expected) => wrong_types.push((field, expected, value.to_string())),
            }
        }
        wrong_types
            .into_iter()
            .fold(patch, |patch, (field, expected, sent)| {
                patch.wrong_type(field, expected, sent)
            })
    }

    /// The patch as a JSON object with wire names (what `from_json` reads).
    pub fn to_json(&self) -> Value {
        let object: Map<String, Value> = self
            .entries
            .iter()
            .map(|(field, value)| {
                let json = match value {
                    None => Value::Null,
                    Some(SentValue::Text(text)) => Value::String(text.clone()),
                    Some(SentValue::Integer(number)) => Value::from(*number),
                    Some(SentValue::Flag(flag)) => Value::Bool(*flag),
                };
                (field.wire_name().to_owned(), json)
            })
            .collect();
        Value::Object(object)
    }

    /// Runs every rule and returns the normalised changes, or every failure at once.
    pub fn validate(&self, context: &ValidationContext) -> Result<ValidatedPatch, Vec<FieldError>> {
        let mut validated = ValidatedPatch::default();
        let mut errors = self.rejected.clone();
        for (&field, sent) in &self.entries {
            if field.is_secret() {
                continue;
            }
            match apply_rule(field, sent.as_ref(), context) {
                Ok(stored) => validated.changes.push((field, stored)),
                Err(rule) => errors.push(FieldError {
                    property_name: field.wire_name().to_owned(),
                    message: format!("{} {rule}.", field.label()),
                    attempted_value: sent.as_ref().map(attempted),
                }),
            }
        }
        match self.password_change() {
            Ok(change) => validated.password_change = change,
            Err(mut password_errors) => errors.append(&mut password_errors),
        }
        if errors.is_empty() {
            Ok(validated)
        } else {
            Err(errors)
        }
    }

    fn secret(&self, field: ProfileField) -> Option<&str> {
        match self.entries.get(&field) {
            Some(Some(SentValue::Text(text))) => Some(text.as_str()).filter(|t| !t.is_empty()),
            _ => None,
        }
    }

    /// SPEC 3.3: a new password needs the current one and an identical confirmation.
    fn password_change(&self) -> Result<Option<PasswordChange>, Vec<FieldError>> {
        let current = self.secret(ProfileField::CurrentPassword);
        let new = self.secret(ProfileField::NewPassword);
        let confirm = self.secret(ProfileField::ConfirmPassword);
        let code = self.secret(ProfileField::TwoFactorCode);
        if current.is_none() && new.is_none() && confirm.is_none() {
            return match code {
                None => Ok(None),
                Some(_) => Err(vec![FieldError::secret(
                    ProfileField::TwoFactorCode.wire_name(),
                    ProfileField::TwoFactorCode.label(),
                    "is only asked with a password change",
                )]),
            };
        }
        let mut errors = Vec::new();
        let mut fail = |field: ProfileField, rule: &str| {
            errors.push(FieldError::secret(field.wire_name(), field.label(), rule));
        };
        if new.is_none() {
            fail(
                ProfileField::NewPassword,
                "is required to change your password",
            );
        }
        if current.is_none() {
            fail(
                ProfileField::CurrentPassword,
                "is required to change your password",
            );
        }
        if confirm != new {
            fail(
                ProfileField::ConfirmPassword,
                "must match the new password exactly",
            );
        }
        match (current, new) {
            (Some(current), Some(new)) if errors.is_empty() => Ok(Some(PasswordChange {
                current_password: current.to_owned(),
                new_password: new.to_owned(),
                code: code.map(str::to_owned),
            })),
            _ => Err(errors),
        }
    }
}

/// The value as it appears in `AttemptedValue`.
fn attempted(value: &SentValue) -> String {
    match value {
        SentValue::Text(text) => text.clone(),
        SentValue::Integer(number) => number.to_string(),
        SentValue::Flag(flag) => flag.to_string(),
    }
}

/// Checks the JSON type against the field's kind; `Err` says what was expected.
fn sent_value(field: ProfileField, value: &Value) -> Result<Option<SentValue>, &'static str> {
    match (field.kind(), value) {
        (_, Value::Null) => Ok(None),
        (FieldKind::Flag, Value::Bool(flag)) => Ok(Some(SentValue::Flag(*flag))),
        (FieldKind::Flag, _) => Err("true or false"),
        (FieldKind::CountryId, Value::Number(number)) => number
            .as_i64()
            .map(|id| Some(SentValue::Integer(id)))
            .ok_or("a whole number"),
        (FieldKind::CountryId, _) => Err("a whole number"),
        (_, Value::String(text)) => Ok(Some(SentValue::Text(text.clone()))),
        _ => Err("a string"),
    }
}

fn apply_rule(
    field: ProfileField,
    sent: Option<&SentValue>,
    context: &ValidationContext,
) -> Result<Option<StoredValue>, rules::Broken> {
    let text_value = |sent: Option<&SentValue>| match sent {
        Some(SentValue::Text(text)) => text.clone(),
        _ => String::new(),
    };
    let as_text =
        |result: Result<Option<String>, rules::Broken>| result.map(|v| v.map(StoredValue::Text));
    let value = text_value(sent);
    match field.kind() {
        FieldKind::Text { max, required } => as_text(rules::text(&value, max, required)),
        FieldKind::Gender => match value.trim() {
            "" => Ok(None),
            other => other
                .parse::<Gender>()
                .map(|gender| Some(StoredValue::Text(gender.as_str().to_owned())))
                .map_err(|error| error.to_string()),
        },
        FieldKind::Date => as_text(rules::date_of_birth(&value, context.today)),
        FieldKind::Phone => as_text(rules::phone(&value)),
        FieldKind::Email => as_text(rules::email(&value)),
        FieldKind::TaxId => as_text(rules::tax_id(
            &value,
            context.billing_country_code.as_deref(),
        )),
        FieldKind::Markdown { max } => as_text(rules::markdown(&value, max)),
        FieldKind::Url => as_text(rules::website(&value)),
        FieldKind::Tags => as_text(rules::tags(&value)),
        FieldKind::Social(network) => as_text(rules::social(network, &value)),
        FieldKind::CountryId => match sent {
            Some(SentValue::Integer(id)) => {
                rules::country_id(*id).map(|id| Some(StoredValue::Integer(id)))
            }
            _ => Ok(None),
        },
        FieldKind::Flag => match sent {
            Some(SentValue::Flag(flag)) => Ok(Some(StoredValue::Flag(*flag))),
            _ => Err("must be true or false; it cannot be cleared".to_owned()),
        },
        FieldKind::Secret => Ok(None),
    }
}

impl Serialize for ProfilePatch {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ProfilePatch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Ok(ProfilePatch::from_json(&value))
    }
}
