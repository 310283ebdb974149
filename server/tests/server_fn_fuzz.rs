//! Every server function (what the browser pages call under `/api/fn/`) is posted generated
//! bodies: form fields with the functions' own argument names and anything else, arbitrary
//! JSON, arbitrary bytes, under each content type, signed in or not, as a hydrated page or as a
//! plain form post. No answer may be a 5xx, and nothing may panic.
//!
//! `FUZZ_FN_CASES` sets the number of generated requests (default 400; `make fuzz-api` runs
//! many more).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use app::server::{identity::settings::SecuritySettings, settings::Limits};
use axum::body::Body;
use common::{default_security, test_app_secured, TestApp};
use http::{header, Method, Request};
use proptest::{
    prelude::*,
    test_runner::{Config, TestCaseError, TestRunner},
};
use serde_json::Value;

/// One generated request to one server function.
#[derive(Clone, Debug)]
struct Case {
    function: usize,
    body: Vec<u8>,
    content_type: Option<&'static str>,
    signed_in: bool,
    plain_form: bool,
    referer: Option<String>,
}

/// The arguments each server function reads, so that most generated bodies get past the
/// argument decoder into the function itself.
fn arguments(path: &str) -> &'static [&'static str] {
    match path.rsplit('/').next() {
        Some("sign_in") => &["email", "password", "next"],
        Some("sign_up") => &["email", "password", "full_name", "next"],
        Some("load_profile_page") | Some("save_profile_page") => &["section"],
        Some("preview_markdown") => &["markdown"],
        Some("draft_profile_summary") => &["current"],
        _ => &[],
    }
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "(values|loaded)\\[(FullName|NickName|Gender|DateOfBirth|CountryId|ProfileTags|ProfileIsPublic|ProfileWebsite|TaxIDNumber|BillingCountryId|CurrentPassword|NewPassword|ConfirmPassword|SupportEmail|SupportTelephone|SupportWebsite|[A-Za-z]{0,16})\\]",
        1 => prop::sample::select(vec!["email", "password", "next", "section", "values", "loaded"])
            .prop_map(str::to_owned),
        1 => "[a-z_\\[\\]]{0,12}",
    ]
}

fn field_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "personal",
            "professional",
            "billing",
            "notifications",
            "credentials",
            "support",
            "Personal",
            "jane@example.com",
            "a quiet harbour at dusk",
            "/profile",
            "/\t/evil.example",
            "true",
            "false",
            "1990-02-30",
            "DE123456789",
            "",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
    ]
}

/// A form with the function's own arguments (each left out now and then) and more fields.
fn form_body(arguments: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(prop::option::weighted(0.9, field_value()), arguments.len()),
        prop::collection::vec((field_name(), field_value()), 0..10),
    )
        .prop_map(move |(values, extra)| {
            let own = arguments
                .iter()
                .zip(values)
                .filter_map(|(name, value)| value.map(|value| (name.to_string(), value)));
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(own.chain(extra))
                .finish()
                .into_bytes()
        })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        field_value().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn body(arguments: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => form_body(arguments),
        2 => json_value().prop_map(|value| value.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..256),
    ]
}

fn case(arguments: Vec<&'static [&'static str]>) -> impl Strategy<Value = Case> {
    (0..arguments.len())
        .prop_flat_map(move |function| (Just(function), body(arguments[function])))
        .prop_flat_map(|(function, body)| {
            (
                Just(function),
                Just(body),
                prop::sample::select(vec![
                    Some("application/x-www-form-urlencoded"),
                    Some("application/x-www-form-urlencoded"),
                    Some("application/json"),
                    Some("text/plain"),
                    Some("multipart/form-data; boundary=x"),
                    None,
                ]),
                prop::bool::weighted(0.7),
                any::<bool>(),
                prop::option::of("[ -~]{0,40}"),
            )
        })
        .prop_map(
            |(function, body, content_type, signed_in, plain_form, referer)| Case {
                function,
                body,
                content_type,
                signed_in,
                plain_form,
                referer,
            },
        )
}

fn request(path: &str, method: &Method, case: &Case, token: &str) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method.clone())
        .uri(path)
        .header(header::HOST, "portal.test")
        .header("sec-fetch-site", "same-origin")
        .header(
            header::ACCEPT,
            if case.plain_form {
                "text/html"
            } else {
                "application/json"
            },
        );
    if let Some(content_type) = case.content_type {
        builder = builder.header(header::CONTENT_TYPE, content_type);
    }
    if case.signed_in {
        builder = builder.header(header::COOKIE, format!("portal_session={token}"));
    }
    if let Some(referer) = &case.referer {
        builder = builder.header(header::REFERER, referer.as_str());
    }
    builder
        .body(Body::from(case.body.clone()))
        .expect("request")
}

/// A session of a new member (the fuzzed sign-ins may well have locked the last one out).
async fn member_token(app: &TestApp) -> String {
    static MEMBERS: AtomicUsize = AtomicUsize::new(0);
    let n = MEMBERS.fetch_add(1, Ordering::Relaxed);
    app.sign_up(
        &format!("fuzz{n}@example.com"),
        "a quiet harbour at dusk",
        "Fuzz Member",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_server_function_answers_a_5xx_to_anything() {
    // Every request comes from one (unknown) address, and sign-outs need new members.
    let app = test_app_secured(SecuritySettings {
        limits: Limits {
            sign_ups_per_client: 1_000_000,
            ..Limits::default()
        },
        ..default_security()
    })
    .await;
    let token = std::sync::Mutex::new(member_token(&app).await);
    let functions: Vec<(String, Method)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (path.to_owned(), method))
        .collect();
    assert!(functions.len() >= 10, "{functions:?}");
    let cases = std::env::var("FUZZ_FN_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(400);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let handle = tokio::runtime::Handle::current();
    // (function, status) -> how many answers: printed at the end, to show which paths were
    // reached (a fuzzer that only ever hits the argument decoder tests little).
    let answers = std::sync::Mutex::new(std::collections::BTreeMap::<(String, u16), usize>::new());
    let arguments = functions.iter().map(|(path, _)| arguments(path)).collect();
    let result = runner.run(&case(arguments), |case| {
        let (path, method) = &functions[case.function];
        let current = token.lock().expect("token").clone();
        let response = tokio::task::block_in_place(|| {
            handle.block_on(app.send(request(path, method, &case, &current)))
        });
        *answers
            .lock()
            .expect("answers")
            .entry((path.clone(), response.status.as_u16()))
            .or_default() += 1;
        if path.ends_with("/sign_out") && case.signed_in {
            // That session ended: the next cases get a new one.
            let fresh = tokio::task::block_in_place(|| handle.block_on(member_token(&app)));
            *token.lock().expect("token") = fresh;
        }
        if response.status.is_server_error() {
            return Err(TestCaseError::fail(format!(
                "{path}: {} for {case:?}: {}",
                response.status, response.text
            )));
        }
        Ok(())
    });
    for ((path, status), count) in answers.lock().expect("answers").iter() {
        println!("{count:6}  {status}  {path}");
    }
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
