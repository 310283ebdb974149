//! Properties of the patch parser and its rules, checked on generated input (proptest): any JSON
//! at all is answered without a panic, and a value the rules accepted is accepted again, unchanged,
//! when sent back as it was stored (normalising is idempotent).

use chrono::NaiveDate;
use proptest::{prelude::*, sample::select};
use serde_json::{Map, Value};

use super::{
    field::{FieldKind, ProfileField},
    patch::{stored_json, ProfilePatch, ValidationContext},
};

fn context() -> ValidationContext {
    ValidationContext {
        today: NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date"),
        billing_country_code: Some("DE".to_owned()),
    }
}

fn wire_names() -> Vec<&'static str> {
    ProfileField::ALL
        .iter()
        .map(|field| field.wire_name())
        .collect()
}

/// Any JSON value, nested a few levels, with object keys that are often real field names.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[ -~]{0,30}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        select(wire_names()).prop_map(str::to_owned),
        any::<String>(),
    ]
}

/// Text shaped like what the field takes (often valid, often a near miss).
fn text_for(kind: FieldKind) -> BoxedStrategy<String> {
    let shaped = match kind {
        FieldKind::Email => r"\s?[A-Za-z0-9._%+-]{1,12}@[A-Za-z0-9-]{1,10}\.[A-Za-z]{2,5}\s?",
        FieldKind::Phone => r"[+]?[0-9 ()./-]{0,22}",
        FieldKind::Date => r"(19[0-9]{2}|20[0-3][0-9])-(0[0-9]|1[0-3])-([0-3][0-9])",
        FieldKind::Url => {
            r"\s?(https?://)?(www\.)?[A-Za-z0-9-]{1,12}\.[a-z]{2,5}(/[A-Za-z0-9_.~-]{0,10})?\s?"
        }
        FieldKind::Tags => r"[A-Za-z0-9 ,]{0,60}",
        FieldKind::Social(_) => {
            r"\s?((https?://)?(www\.)?(twitter|x|github|instagram|linkedin)\.com/(in/)?)?@?[A-Za-z0-9_.-]{1,16}/?\s?"
        }
        FieldKind::TaxId => r"(DE|de|FR|PT)?[0-9 .-]{2,14}",
        FieldKind::Gender => r"(Male|Female|Other|NotSet|male|other|x)",
        _ => r"\s{0,2}[ -~]{0,40}\s{0,2}",
    };
    prop_oneof![4 => shaped, 1 => any::<String>()].boxed()
}

/// A JSON value for `field` of the right JSON type.
fn value_for(field: ProfileField) -> BoxedStrategy<Value> {
    match field.kind() {
        FieldKind::Flag => any::<bool>().prop_map(Value::Bool).boxed(),
        FieldKind::CountryId => {
            prop_oneof![(0i64..1000).prop_map(Value::from), Just(Value::Null)].boxed()
        }
        kind => {
            prop_oneof![5 => text_for(kind).prop_map(Value::String), 1 => Just(Value::Null)].boxed()
        }
    }
}

/// A one-field patch with a value of the right type, for any stored (non-secret) field.
fn one_field_patch() -> impl Strategy<Value = (ProfileField, Value)> {
    let fields: Vec<ProfileField> = ProfileField::ALL
        .iter()
        .copied()
        .filter(|field| !field.is_secret())
        .collect();
    select(fields).prop_flat_map(|field| value_for(field).prop_map(move |value| (field, value)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_json_body_is_answered_without_a_panic(body in any_json()) {
        let patch = ProfilePatch::from_json(&body);
        let _ = patch.validate(&context());
    }

    #[test]
    fn objects_of_real_fields_with_any_values_are_answered_without_a_panic(
        object in prop::collection::btree_map(select(wire_names()), any_json(), 0..8)
    ) {
        let body = Value::Object(object.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
        let _ = ProfilePatch::from_json(&body).validate(&context());
    }

    #[test]
    fn a_stored_value_sent_back_is_accepted_and_stored_unchanged((field, value) in one_field_patch()) {
        let body = Value::Object(Map::from_iter([(field.wire_name().to_owned(), value)]));
        if let Ok(first) = ProfilePatch::from_json(&body).validate(&context()) {
            let stored: Map<String, Value> = first
                .changes
                .iter()
                .map(|(field, value)| (field.wire_name().to_owned(), stored_json(value)))
                .collect();
            let again = ProfilePatch::from_json(&Value::Object(stored.clone()))
                .validate(&context());
            prop_assert!(again.is_ok(), "{body} was stored as {stored:?}, which is then refused: {again:?}");
            prop_assert_eq!(again.map(|patch| patch.changes).unwrap_or_default(), first.changes);
        }
    }
}
