//! The support profile of seed 000: the e-mail, telephone and website a member's own customers
//! use to reach them for help. Replaced whole: a field left out of a replacement is cleared.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    field_error::FieldError,
    profile::{
        field::{FieldKind, FormValues},
        rules,
    },
};

/// A support profile, as stored and as returned.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SupportProfile {
    pub email: Option<String>,
    pub telephone: Option<String>,
    pub website: Option<String>,
}

/// The three fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SupportField {
    Email,
    Telephone,
    Website,
}

impl SupportField {
    pub const ALL: [SupportField; 3] = [
        SupportField::Email,
        SupportField::Telephone,
        SupportField::Website,
    ];

    /// The camelCase name of the partner API (`email`), also the `PropertyName` of its errors.
    pub fn api_name(self) -> &'static str {
        match self {
            SupportField::Email => "email",
            SupportField::Telephone => "telephone",
            SupportField::Website => "website",
        }
    }

    /// The name of its input on the support page (`SupportEmail`), also the `PropertyName` of
    /// the errors that page shows: unique among the names of every page's fields.
    pub fn form_name(self) -> &'static str {
        match self {
            SupportField::Email => "SupportEmail",
            SupportField::Telephone => "SupportTelephone",
            SupportField::Website => "SupportWebsite",
        }
    }

    /// What the page's control takes (the rules are `SupportProfile::validate`'s).
    pub fn kind(self) -> FieldKind {
        match self {
            SupportField::Email => FieldKind::Email,
            SupportField::Telephone => FieldKind::Phone,
            SupportField::Website => FieldKind::Url,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SupportField::Email => "E-mail",
            SupportField::Telephone => "Telephone",
            SupportField::Website => "Website",
        }
    }

    fn get(self, profile: &SupportProfile) -> &Option<String> {
        match self {
            SupportField::Email => &profile.email,
            SupportField::Telephone => &profile.telephone,
            SupportField::Website => &profile.website,
        }
    }

    fn slot(self, profile: &mut SupportProfile) -> &mut Option<String> {
        match self {
            SupportField::Email => &mut profile.email,
            SupportField::Telephone => &mut profile.telephone,
            SupportField::Website => &mut profile.website,
        }
    }
}

impl SupportProfile {
    /// Reads a replacement body. Keys are matched ignoring case, so the seed's PascalCase
    /// (`Email`) and the response's camelCase (`email`) both work; other properties (such as
    /// `ProfileType` or `Attributes`) are ignored, as the partner service does. A field that
    /// is absent or `null` is cleared. A value that is not a string is an error on its field.
    pub fn from_json(body: &Value) -> Result<SupportProfile, Vec<FieldError>> {
        let Value::Object(object) = body else {
            return Err(vec![FieldError {
                property_name: String::new(),
                message: "The body must be a JSON object: the full support profile.".to_owned(),
                attempted_value: None,
            }]);
        };
        let mut profile = SupportProfile::default();
        let mut errors = Vec::new();
        for field in SupportField::ALL {
            let sent = object
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(field.api_name()))
                .map(|(_, value)| value);
            match sent {
                None | Some(Value::Null) => {}
                Some(Value::String(text)) => *field.slot(&mut profile) = Some(text.clone()),
                Some(other) => errors.push(FieldError::new(
                    field.api_name(),
                    field.label(),
                    "must be a string",
                    &other.to_string(),
                )),
            }
        }
        if errors.is_empty() {
            Ok(profile)
        } else {
            Err(errors)
        }
    }

    /// Every rule at once (SPEC 3.5): a valid e-mail address, a telephone of 5 to 20 digits in
    /// any human format, an http(s) address or bare host. Values are kept as sent, trimmed;
    /// empty means none.
    pub fn validate(&self) -> Result<SupportProfile, Vec<FieldError>> {
        let mut valid = SupportProfile::default();
        let mut errors = Vec::new();
        for field in SupportField::ALL {
            let value = field.get(self).as_deref().unwrap_or_default();
            let checked = match field {
                SupportField::Email => rules::email(value),
                SupportField::Telephone => rules::phone(value),
                SupportField::Website => rules::website(value),
            };
            match checked {
                Ok(Some(_)) => *field.slot(&mut valid) = Some(value.trim().to_owned()),
                Ok(None) => {}
                Err(rule) => errors.push(FieldError::new(
                    field.api_name(),
                    field.label(),
                    &rule,
                    value,
                )),
            }
        }
        if errors.is_empty() {
            Ok(valid)
        } else {
            Err(errors)
        }
    }

    /// The support page's form as a replacement: a blank field is cleared.
    pub fn from_form(values: &FormValues) -> SupportProfile {
        let mut profile = SupportProfile::default();
        for field in SupportField::ALL {
            *field.slot(&mut profile) = values
                .get(field.form_name())
                .filter(|value| !value.trim().is_empty())
                .cloned();
        }
        profile
    }

    /// The support page's form filled with this profile.
    pub fn form_values(&self) -> FormValues {
        SupportField::ALL
            .into_iter()
            .map(|field| {
                let value = field.get(self).clone().unwrap_or_default();
                (field.form_name().to_owned(), value)
            })
            .collect()
    }

    /// `validate`, with the errors named as the support page's fields rather than the API's.
    pub fn validate_form(&self) -> Result<SupportProfile, Vec<FieldError>> {
        self.validate().map_err(|errors| {
            errors
                .into_iter()
                .map(|mut error| {
                    if let Some(field) = SupportField::ALL
                        .into_iter()
                        .find(|field| field.api_name() == error.property_name)
                    {
                        error.property_name = field.form_name().to_owned();
                    }
                    error
                })
                .collect()
        })
    }

    /// The fields whose value differs from `other`, by API name.
    pub fn changed_from(&self, other: &SupportProfile) -> Vec<&'static str> {
        SupportField::ALL
            .into_iter()
            .filter(|field| field.get(self) != field.get(other))
            .map(SupportField::api_name)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_seed_request_is_read_in_pascal_case_and_extra_properties_are_ignored() {
        let body = json!({
            "Email": "email@sample.com",
            "Telephone": "4255555555",
            "Website": "www.microsoft.com",
            "ProfileType": "support_profile",
            "Attributes": {"ObjectType": "PartnerSupportProfile"}
        });
        let profile = SupportProfile::from_json(&body).expect("reads");
        assert_eq!(
            profile,
            SupportProfile {
                email: Some("email@sample.com".to_owned()),
                telephone: Some("4255555555".to_owned()),
                website: Some("www.microsoft.com".to_owned()),
            }
        );
        assert_eq!(
            profile.validate(),
            Ok(profile.clone()),
            "valid and kept as sent"
        );
    }

    #[test]
    fn camel_case_works_and_a_field_left_out_is_cleared() {
        let profile = SupportProfile::from_json(&json!({"email": " help@acme.example "}))
            .expect("reads")
            .validate()
            .expect("valid");
        assert_eq!(profile.email.as_deref(), Some("help@acme.example"));
        assert_eq!((profile.telephone, profile.website), (None, None));
    }

    #[test]
    fn each_broken_rule_names_its_field() {
        let cases = [
            (
                json!({"email": "nope"}),
                "email",
                "E-mail must look like name@example.com.",
            ),
            (
                json!({"telephone": "call me"}),
                "telephone",
                "Telephone must not contain letters.",
            ),
            (
                json!({"telephone": "1234"}),
                "telephone",
                "Telephone must have 5 to 20 digits (it has 4).",
            ),
            (
                json!({"website": "ftp://acme.example"}),
                "website",
                "Website must start with http:// or https://.",
            ),
            (
                json!({"website": "not a site"}),
                "website",
                "Website must be a web address like https://example.com.",
            ),
            (json!({"email": 42}), "email", "E-mail must be a string."),
        ];
        for (body, field, message) in cases {
            let errors = SupportProfile::from_json(&body)
                .and_then(|profile| profile.validate())
                .expect_err("refused");
            assert_eq!(errors.len(), 1, "{body}");
            assert_eq!(errors[0].property_name, field, "{body}");
            assert_eq!(errors[0].message, message, "{body}");
        }
        assert!(SupportProfile::from_json(&json!(["email"])).is_err());
    }

    #[test]
    fn every_failure_is_reported_at_once() {
        let errors =
            SupportProfile::from_json(&json!({"Email": "x", "Telephone": "y", "Website": "z z"}))
                .expect("reads")
                .validate()
                .expect_err("refused");
        let fields: Vec<&str> = errors.iter().map(|e| e.property_name.as_str()).collect();
        assert_eq!(fields, vec!["email", "telephone", "website"]);
    }
}
