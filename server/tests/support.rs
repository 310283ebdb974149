//! The support profile API (seed 000) through the real router: shapes, replacement semantics,
//! partner errors, request ids and If-Match.

mod common;

use axum::body::Body;
use common::{test_app, TestApp};
use http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "a quiet harbour at dusk";

/// The seed's request example, headers and body as printed.
fn seed_request(token: &str, uri: &str) -> Request<Body> {
    Request::put(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::ACCEPT, "application/json")
        .header("MS-RequestId", "603f3cd9-01b8-48f2-b65d-855a246f5bfd")
        .header("MS-CorrelationId", "20604323-50bf-4738-9968-c5486ab32be0")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            r#"{
    "Email": "email@sample.com",
    "Telephone": "4255555555",
    "Website": "www.microsoft.com",
    "ProfileType": "support_profile",
    "Attributes": {
        "ObjectType": "PartnerSupportProfile"
    }
}"#,
        ))
        .expect("request")
}

fn seed_response() -> Value {
    json!({
        "email": "email@sample.com",
        "telephone": "4255555555",
        "website": "www.microsoft.com",
        "profileType": "support_profile",
        "links": {"self": {"uri": "/v1/profiles/support", "method": "GET", "headers": []}},
        "attributes": {"objectType": "PartnerSupportProfile"}
    })
}

async fn member(app: &TestApp) -> String {
    app.sign_up("partner@example.com", PASSWORD, "Pat Partner")
        .await
}

async fn put(app: &TestApp, token: &str, uri: &str, body: Value) -> common::TestResponse {
    app.call(Method::PUT, uri, Some(token), Some(body)).await
}

#[tokio::test]
async fn the_seed_request_gives_the_seed_response_with_the_ids_echoed() {
    let app = test_app().await;
    let token = member(&app).await;
    let response = app
        .send(seed_request(&token, "/v1/profiles/supportprofile"))
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(response.json(), seed_response());
    assert_eq!(
        response.header("ms-requestid"),
        Some("603f3cd9-01b8-48f2-b65d-855a246f5bfd")
    );
    assert_eq!(
        response.header("ms-correlationid"),
        Some("20604323-50bf-4738-9968-c5486ab32be0")
    );
    // The partner SDKs spell the version v1 or v1.0; every spelling reads the same resource.
    for uri in [
        "/v1/profiles/support",
        "/v1/profiles/supportprofile",
        "/v1.0/profiles/support",
        "/v1.0/profiles/supportprofile",
    ] {
        let read = app.call(Method::GET, uri, Some(&token), None).await;
        assert_eq!(read.status, StatusCode::OK);
        assert_eq!(read.json(), seed_response(), "{uri}");
    }
    let audit: i64 = app
        .store
        .scalar_sql("SELECT COUNT(*) FROM support_profile_audit")
        .await
        .expect("audit");
    assert_eq!(audit, 1);
    let replaced = app
        .send(seed_request(&token, "/v1.0/profiles/support"))
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.text);
    assert_eq!(replaced.json(), seed_response());
}

#[tokio::test]
async fn the_first_read_is_empty_and_ids_are_generated_when_absent() {
    let app = test_app().await;
    let token = member(&app).await;
    let response = app
        .call(Method::GET, "/v1/profiles/support", Some(&token), None)
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let body = response.json();
    assert_eq!(
        (&body["email"], &body["telephone"], &body["website"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    assert_eq!(body["profileType"], "support_profile");
    for name in ["ms-requestid", "ms-correlationid"] {
        let id = response.header(name).expect("generated");
        assert_eq!(id.len(), 36, "a UUID: {id}");
    }
    assert_ne!(
        response.header("ms-requestid"),
        response.header("ms-correlationid")
    );
}

#[tokio::test]
async fn a_replacement_clears_what_it_leaves_out_accepts_camel_case_and_is_idempotent() {
    let app = test_app().await;
    let token = member(&app).await;
    app.send(seed_request(&token, "/v1/profiles/support")).await;
    let body = json!({"email": "help@acme.example", "unknownProperty": 1});
    let first = put(&app, &token, "/v1/profiles/support", body.clone()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let again = put(&app, &token, "/v1/profiles/supportprofile", body).await;
    assert_eq!(again.json(), first.json());
    assert_eq!(
        again.header("etag"),
        first.header("etag"),
        "same state, same tag"
    );
    let stored = first.json();
    assert_eq!(stored["email"], "help@acme.example");
    assert!(stored["telephone"].is_null() && stored["website"].is_null());
}

#[tokio::test]
async fn invalid_fields_are_a_400_in_the_partner_shape_and_change_nothing() {
    let app = test_app().await;
    let token = member(&app).await;
    app.send(seed_request(&token, "/v1/profiles/supportprofile"))
        .await;
    let response = put(
        &app,
        &token,
        "/v1/profiles/supportprofile",
        json!({"Email": "not-an-address", "Telephone": "call us", "Website": "ftp://x.example"}),
    )
    .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    let body = response.json();
    assert_eq!(body["code"], 400);
    assert!(body["description"].as_str().is_some_and(|d| !d.is_empty()));
    assert!(body["source"].is_string());
    let data: Vec<&str> = body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|entry| entry.as_str().expect("text"))
        .collect();
    assert_eq!(data.len(), 3, "{data:?}");
    assert!(data[0].starts_with("email: "), "{data:?}");
    assert!(data[1].starts_with("telephone: "), "{data:?}");
    assert!(data[2].starts_with("website: "), "{data:?}");
    assert!(response.header("ms-requestid").is_some());
    let read = app
        .call(Method::GET, "/v1/profiles/support", Some(&token), None)
        .await;
    assert_eq!(read.json(), seed_response(), "unchanged");
}

#[tokio::test]
async fn bad_bodies_and_missing_tokens_get_partner_errors() {
    let app = test_app().await;
    let token = member(&app).await;
    let no_token = app
        .call(Method::GET, "/v1/profiles/support", None, None)
        .await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
    assert_eq!(no_token.header("www-authenticate"), Some("Bearer"));
    assert_eq!(no_token.json()["code"], 401);
    let bad_token = put(&app, "nope", "/v1/profiles/support", json!({})).await;
    assert_eq!(bad_token.status, StatusCode::UNAUTHORIZED);

    let malformed = app
        .send(
            Request::put("/v1/profiles/support")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{\"Email\": "))
                .expect("request"),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.json()["code"], 400);
    let not_json = app
        .send(
            Request::put("/v1/profiles/support")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from("email=x"))
                .expect("request"),
        )
        .await;
    assert_eq!(not_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = app
        .send(
            Request::put("/v1/profiles/support")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(format!(
                    "{{\"Email\": \"{}\"}}",
                    "a".repeat(100_000)
                )))
                .expect("request"),
        )
        .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    let wrong_type = put(&app, &token, "/v1/profiles/support", json!({"Email": 5})).await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong_type.json()["data"][0],
        "email: E-mail must be a string."
    );
}

#[tokio::test]
async fn if_match_with_a_stale_etag_is_a_412_and_changes_nothing() {
    let app = test_app().await;
    let token = member(&app).await;
    let read = app
        .call(Method::GET, "/v1/profiles/support", Some(&token), None)
        .await;
    let tag = read.header("etag").expect("etag").to_owned();
    let with_tag = |body: &str| {
        Request::put("/v1/profiles/support")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::IF_MATCH, tag.clone())
            .body(Body::from(body.to_owned()))
            .expect("request")
    };
    let first = app.send(with_tag(r#"{"Email": "a@acme.example"}"#)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_ne!(first.header("etag"), Some(tag.as_str()));
    let stale = app.send(with_tag(r#"{"Email": "b@acme.example"}"#)).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.json()["code"], 412);
    let now = app
        .call(Method::GET, "/v1/profiles/support", Some(&token), None)
        .await;
    assert_eq!(now.json()["email"], "a@acme.example");
}
