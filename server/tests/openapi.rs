//! The OpenAPI document at `/api/openapi.json` against the router that serves it.

mod common;

use std::collections::BTreeSet;

use app::{model::profile::field::ProfileField, App};
use axum::body::Body;
use common::test_app;
use http::{Method, Request, StatusCode};
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];

/// Every path the router routes, read from its `Debug` output (axum offers no other listing):
/// `paths: {RouteId(3): "/api/health", ...}`.
fn routed_paths(router: &axum::Router) -> BTreeSet<String> {
    let debug = format!("{router:?}");
    let mut paths = BTreeSet::new();
    let mut rest = debug.as_str();
    while let Some(start) = rest.find("RouteId(") {
        rest = &rest[start..];
        let Some(quote) = rest.find(": \"") else {
            break;
        };
        let after = &rest[quote + 3..];
        let end = after.find('"').expect("a closing quote");
        paths.insert(after[..end].to_owned());
        rest = &after[end..];
    }
    paths
}

async fn document(app: &common::TestApp) -> Value {
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(response.header("content-type"), Some("application/json"));
    response.json()
}

fn documented(document: &Value) -> Vec<(String, &str, &Value)> {
    let paths = document["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .into_iter()
                .filter_map(move |method| Some((path.clone(), method, item.get(method)?)))
        })
        .collect()
}

#[tokio::test]
async fn the_document_lists_every_route_of_the_json_api_and_no_other() {
    let app = test_app().await;
    let document = document(&app).await;
    assert_eq!(document["openapi"], "3.1.0");

    let routed = routed_paths(&app.router);
    assert!(
        routed.contains("/api/health") && routed.len() > 20,
        "the router's paths could not be read from its Debug output: {routed:?}"
    );
    // What the router has besides the JSON API: the pages, the pages' server functions, and
    // the fallback (static files and the 404 page), which axum routes as a catch-all path.
    let pages: BTreeSet<String> = leptos_axum::generate_route_list(App)
        .iter()
        .map(|route| route.path().to_owned())
        .collect();
    let server_functions: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    assert!(server_functions
        .iter()
        .all(|path| path.starts_with("/api/fn/")));
    let api: BTreeSet<String> = routed
        .iter()
        .filter(|path| !pages.contains(*path) && !server_functions.contains(*path))
        .filter(|path| !path.contains("__private__axum_fallback"))
        .cloned()
        .collect();
    let described: BTreeSet<String> = document["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .cloned()
        .collect();
    assert_eq!(api, described);
    for required in [
        "/api/auth/signup",
        "/api/auth/login",
        "/api/auth/logout",
        "/login/me",
        "/en/profile",
        "/api/public/coworker/profile",
        "/en/profile/GenerateOpenAiProfile",
        "/v1/profiles/support",
        "/v1/profiles/supportprofile",
        "/api/openapi.json",
    ] {
        assert!(described.contains(required), "{required} is not described");
    }
}

#[tokio::test]
async fn each_path_answers_exactly_the_methods_the_document_lists() {
    let app = test_app().await;
    let document = document(&app).await;
    for (path, item) in document["paths"].as_object().expect("paths") {
        let uri = path.replace("{id}", "1");
        for method in METHODS {
            let request = Request::builder()
                .method(Method::from_bytes(method.to_uppercase().as_bytes()).expect("method"))
                .uri(&uri)
                .body(Body::empty())
                .expect("request");
            let status = app.send(request).await.status;
            if item.get(method).is_some() {
                assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is routed but not described"
                );
            }
        }
    }
}

#[tokio::test]
async fn operations_list_the_failures_they_can_answer_and_how_to_authenticate() {
    let app = test_app().await;
    let document = document(&app).await;
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session_cookie"]["in"], "cookie");

    let mut operation_ids = BTreeSet::new();
    for (path, method, operation) in documented(&document) {
        let id = operation["operationId"].as_str().expect("operationId");
        assert!(operation_ids.insert(id.to_owned()), "{id} twice");
        let responses = operation["responses"].as_object().expect("responses");
        let has = |status: &str| responses.contains_key(status);
        let secured = operation["security"]
            .as_array()
            .expect("every operation says how it is authenticated, [] when it is public")
            .iter()
            .any(|requirement| requirement.as_object().is_some_and(|r| !r.is_empty()));
        if path == "/api/health" || path == "/api/openapi.json" {
            continue;
        }
        assert!(has("500"), "{method} {path} does not list 500");
        if secured {
            assert!(has("401"), "{method} {path} does not list 401");
        }
        // The CSRF guard answers every state-changing request without a bearer token.
        if method != "get" {
            assert!(has("403"), "{method} {path} does not list the CSRF 403");
        }
        if operation.get("requestBody").is_some() {
            for status in ["400", "413", "415"] {
                assert!(has(status), "{method} {path} does not list {status}");
            }
        }
        if operation["parameters"]
            .as_array()
            .is_some_and(|parameters| parameters.iter().any(|p| p["name"] == "If-Match"))
        {
            assert!(has("412"), "{method} {path} does not list 412");
        }
    }
    assert!(
        operation_ids.len() >= 15,
        "{} operations",
        operation_ids.len()
    );
}

/// Every `$ref` string anywhere in `value`.
fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, value) in object {
                match (key.as_str(), value) {
                    ("$ref", Value::String(target)) => found.push(target.clone()),
                    _ => references(value, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

#[tokio::test]
async fn every_reference_in_the_document_resolves() {
    let app = test_app().await;
    let document = document(&app).await;
    let mut found = Vec::new();
    references(&document, &mut found);
    assert!(found.len() > 50, "{} references", found.len());
    for target in found {
        let pointer = target.strip_prefix('#').expect("a local reference");
        assert!(
            document.pointer(pointer).is_some(),
            "{target} does not resolve"
        );
    }
}

#[tokio::test]
async fn the_profile_schemas_follow_the_fields() {
    let app = test_app().await;
    let document = document(&app).await;
    let schemas = &document["components"]["schemas"];
    let patch = &schemas["ProfilePatch"];
    assert_eq!(patch["additionalProperties"], false);
    // The read is the Value of its envelope (utoipa writes a generic's argument in place).
    let read = &schemas["ActionConfirmation_Profile"]["properties"]["Value"];
    for &field in ProfileField::ALL {
        let name = field.wire_name();
        let sent = &patch["properties"][name];
        let returned = &read["properties"][name];
        assert!(sent.is_object(), "{name} missing from the patch schema");
        assert_eq!(returned.is_object(), !field.is_secret(), "{name}");
    }
    assert!(
        patch["properties"]["SupportEmail"].is_null(),
        "the support page's fields are not the patch's"
    );
    assert_eq!(patch["properties"]["FullName"]["maxLength"], 100);
    assert_eq!(patch["properties"]["FullName"]["type"], "string");
    assert_eq!(
        patch["properties"]["CountryId"]["type"],
        serde_json::json!(["integer", "null"])
    );
    assert_eq!(patch["properties"]["SignUpToNewsletter"]["type"], "boolean");
}

#[tokio::test]
async fn a_profile_the_api_answers_matches_its_schema_in_shape() {
    let app = test_app().await;
    let token = app
        .sign_up("schema@example.com", "Schema-Pa55-word", "Schema Tester")
        .await;
    let response = app
        .call(Method::GET, "/en/profile", Some(&token), None)
        .await;
    let document = document(&app).await;
    let properties = document["components"]["schemas"]["ActionConfirmation_Profile"]["properties"]
        ["Value"]["properties"]
        .as_object()
        .expect("properties");
    let value = response.json()["Value"].clone();
    let answered: BTreeSet<&String> = value.as_object().expect("Value").keys().collect();
    let described: BTreeSet<&String> = properties.keys().collect();
    assert_eq!(answered, described);
}
