//! The patch end to end: JSON in, normalised changes or every failure out.

use chrono::NaiveDate;
use serde_json::json;

use super::{
    field::ProfileField,
    patch::{PasswordChange, ProfilePatch, StoredValue, ValidationContext},
};

fn context() -> ValidationContext {
    ValidationContext {
        today: NaiveDate::from_ymd_opt(2026, 11, 22).expect("date"),
        billing_country_code: Some("DE".to_owned()),
    }
}

fn names(errors: &[crate::model::field_error::FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.property_name.as_str()).collect()
}

#[test]
fn absent_null_and_value_are_three_different_things() {
    let patch = ProfilePatch::from_json(&json!({"NickName": null, "Position": "Designer"}));
    assert_eq!(patch.get(ProfileField::FullName), None, "absent: keep");
    assert_eq!(patch.get(ProfileField::NickName), Some(None), "null: clear");
    assert!(matches!(patch.get(ProfileField::Position), Some(Some(_))));

    let validated = patch.validate(&context()).expect("valid");
    assert_eq!(
        validated.changes,
        vec![
            (ProfileField::NickName, None),
            (
                ProfileField::Position,
                Some(StoredValue::Text("Designer".to_owned()))
            ),
        ]
    );
}

#[test]
fn unknown_names_and_wrong_types_are_all_reported_with_a_suggestion() {
    let errors = ProfilePatch::from_json(&json!({
        "Fullname": "Jane",
        "ProfileIsPublic": "yes",
        "CountryId": "276",
        "FullName": 42,
        "NewPassword": 12345678,
        "MobilePhone": "call me"
    }))
    .validate(&context())
    .expect_err("invalid");
    let mut got = names(&errors);
    got.sort_unstable();
    assert_eq!(
        got,
        vec![
            "CountryId",
            "FullName",
            "Fullname",
            "MobilePhone",
            "NewPassword",
            "ProfileIsPublic"
        ],
        "parse errors and rule errors are reported together"
    );
    let unknown = errors
        .iter()
        .find(|e| e.property_name == "Fullname")
        .expect("unknown");
    assert!(
        unknown.message.contains("Did you mean FullName?"),
        "{}",
        unknown.message
    );
    let flag = errors
        .iter()
        .find(|e| e.property_name == "ProfileIsPublic")
        .expect("flag");
    assert_eq!(flag.message, "Public profile must be true or false.");
    assert_eq!(flag.attempted_value.as_deref(), Some("\"yes\""));
    let secret = errors
        .iter()
        .find(|e| e.property_name == "NewPassword")
        .expect("secret");
    assert_eq!(secret.attempted_value, None, "passwords are never echoed");
}

#[test]
fn a_body_that_is_not_an_object_is_one_clear_error() {
    let errors = ProfilePatch::from_json(&json!(["FullName"]))
        .validate(&context())
        .expect_err("invalid");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].message.contains("JSON object"));
}

#[test]
fn every_failing_rule_is_reported_together_and_values_are_normalised() {
    let patch = ProfilePatch::from_json(&json!({
        "FullName": "  ",
        "DateOfBirth": "2030-01-01",
        "MobilePhone": "call me",
        "ProfileWebsite": "www.example.com",
        "ProfileTags": "rust, Rust, design",
        "Github": "https://github.com/jane-doe",
        "TaxIDNumber": "123",
        "NotifyOnBlogComments": null
    }));
    let errors = patch.validate(&context()).expect_err("invalid");
    assert_eq!(
        names(&errors),
        vec![
            "FullName",
            "DateOfBirth",
            "MobilePhone",
            "TaxIDNumber",
            "NotifyOnBlogComments"
        ]
    );
    assert_eq!(errors[0].message, "Full name is required.");

    let fine = ProfilePatch::from_json(&json!({
        "ProfileWebsite": "www.example.com",
        "ProfileTags": "rust, Rust, design",
        "Github": "https://github.com/jane-doe",
        "Gender": "Female",
        "TaxIDNumber": "de 123 456 789"
    }))
    .validate(&context())
    .expect("valid");
    let text = |field| {
        fine.changes
            .iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, v)| match v {
                Some(StoredValue::Text(t)) => Some(t.clone()),
                _ => None,
            })
    };
    assert_eq!(
        text(ProfileField::ProfileWebsite).as_deref(),
        Some("https://www.example.com")
    );
    assert_eq!(
        text(ProfileField::ProfileTags).as_deref(),
        Some("rust, design")
    );
    assert_eq!(text(ProfileField::Github).as_deref(), Some("jane-doe"));
    assert_eq!(
        text(ProfileField::TaxIdNumber).as_deref(),
        Some("DE123456789")
    );
}

#[test]
fn a_password_change_needs_the_current_password_and_a_matching_confirmation() {
    let change = ProfilePatch::from_json(&json!({
        "CurrentPassword": "old secret words",
        "NewPassword": "new secret words",
        "ConfirmPassword": "new secret words"
    }))
    .validate(&context())
    .expect("valid");
    assert_eq!(
        change.password_change,
        Some(PasswordChange {
            current_password: "old secret words".to_owned(),
            new_password: "new secret words".to_owned(),
            code: None,
        })
    );
    assert!(
        change.changes.is_empty(),
        "passwords are not profile columns"
    );

    let errors = ProfilePatch::from_json(&json!({
        "NewPassword": "new secret words",
        "ConfirmPassword": "new secret word"
    }))
    .validate(&context())
    .expect_err("invalid");
    assert_eq!(names(&errors), vec!["CurrentPassword", "ConfirmPassword"]);
    assert!(errors.iter().all(|e| e.attempted_value.is_none()));
}

#[test]
fn the_patch_survives_a_round_trip_through_json() {
    let patch = ProfilePatch::new()
        .set_text(ProfileField::FullName, "Jane Doe")
        .clear(ProfileField::NickName)
        .set_integer(ProfileField::CountryId, 276)
        .set_flag(ProfileField::ProfileIsPublic, true);
    let json = serde_json::to_string(&patch).expect("serialises");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&json).expect("json"),
        json!({"FullName": "Jane Doe", "NickName": null, "CountryId": 276, "ProfileIsPublic": true})
    );
    let back: ProfilePatch = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(back, patch);
}
