//! The members-portal profile API: read, partial update, countries; HTTP statuses and what the
//! database holds afterwards.

mod common;

use axum::body::Body;
use common::{test_app, TestApp};
use http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "a quiet harbour at dusk";

async fn profile(app: &TestApp, token: &str) -> (Value, String) {
    let response = app
        .call(
            Method::GET,
            "/en/profile?_resource=Coworker",
            Some(token),
            None,
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let etag = response.header("etag").expect("ETag").to_owned();
    (response.json()["Value"].clone(), etag)
}

async fn patch(app: &TestApp, token: &str, body: Value) -> common::TestResponse {
    app.call(
        Method::PATCH,
        "/api/public/coworker/profile",
        Some(token),
        Some(body),
    )
    .await
}

/// A PATCH that is to be written only if the profile still has the version of `etag`.
async fn patch_if_match(
    app: &TestApp,
    token: &str,
    etag: &str,
    body: Value,
) -> common::TestResponse {
    let request = Request::builder()
        .method(Method::PATCH)
        .uri("/api/public/coworker/profile")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::IF_MATCH, etag)
        .body(Body::from(body.to_string()))
        .expect("request");
    app.send(request).await
}

async fn audit_rows(app: &TestApp) -> Vec<String> {
    app.store
        .scalars_sql("SELECT changed_fields FROM profile_audit ORDER BY id")
        .await
        .expect("audit")
}

#[tokio::test]
async fn countries_are_public_cacheable_and_the_full_iso_list() {
    let app = test_app().await;
    let response = app.get("/api/public/countries").await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response
        .header("cache-control")
        .expect("cacheable")
        .contains("max-age"));
    let countries = response.json()["Value"]["Countries"].clone();
    let list = countries.as_array().expect("list");
    assert!(list.len() >= 240, "{}", list.len());
    assert!(list.contains(&json!({"Id": 276, "Name": "Germany", "TwoDigitsCode": "DE"})));
}

#[tokio::test]
async fn the_profile_needs_a_session_and_has_every_field_and_an_etag() {
    let app = test_app().await;
    let unauthenticated = app.get("/en/profile?_resource=Coworker").await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);

    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let (fields, etag) = profile(&app, &token).await;
    assert_eq!(fields["FullName"], "Jane Doe");
    assert_eq!(fields["ProfileIsPublic"], false);
    assert_eq!(fields["NotifyOnHelpDeskReplies"], true);
    assert!(fields["TaxIDNumber"].is_null());
    assert!(fields.get("NewPassword").is_none(), "no password fields");
    assert!(etag.starts_with("\"p") && etag.ends_with("-v1\""), "{etag}");
}

#[tokio::test]
async fn only_the_coworker_resource_is_read_and_an_unreadable_query_is_a_400() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let read = |uri: &'static str| app.call(Method::GET, uri, Some(&token), None);
    assert_eq!(read("/en/profile").await.status, StatusCode::OK);
    assert_eq!(
        read("/en/profile?_resource=Invoice").await.status,
        StatusCode::NOT_FOUND
    );
    let twice = read("/en/profile?_resource=Coworker&_resource=Coworker").await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST, "{}", twice.text);
    assert_eq!(twice.json()["Errors"][0]["PropertyName"], "_resource");
}

#[tokio::test]
async fn a_patch_writes_only_its_fields_bumps_the_version_and_audits_the_names() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let response = patch(
        &app,
        &token,
        json!({"Position": " Product Designer ", "ProfileIsPublic": true, "ProfileWebsite": "www.example.com", "NickName": null}),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(
        response.json()["Value"],
        json!(["Position", "ProfileWebsite", "ProfileIsPublic"]),
        "NickName was already empty, so it did not change"
    );
    assert!(response.header("etag").expect("etag").ends_with("-v2\""));

    let (fields, _) = profile(&app, &token).await;
    assert_eq!(fields["Position"], "Product Designer");
    assert_eq!(fields["ProfileWebsite"], "https://www.example.com");
    assert_eq!(fields["FullName"], "Jane Doe", "untouched");
    assert_eq!(
        audit_rows(&app).await,
        vec!["Position,ProfileWebsite,ProfileIsPublic"]
    );

    let cleared = patch(&app, &token, json!({"Position": null})).await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert!(profile(&app, &token).await.0["Position"].is_null());
}

#[tokio::test]
async fn one_bad_field_rejects_the_whole_patch_and_every_error_is_listed() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let (before, etag_before) = profile(&app, &token).await;

    let response = patch(
        &app,
        &token,
        json!({"Position": "Designer", "FullName": null, "MobilePhone": "call me", "CountryId": 999}),
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.text
    );
    let body = response.json();
    assert_eq!(body["WasSuccessful"], false);
    let mut fields: Vec<&str> = body["Errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["PropertyName"].as_str().expect("name"))
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, vec!["CountryId", "FullName", "MobilePhone"]);

    let (after, etag_after) = profile(&app, &token).await;
    assert_eq!(after, before, "nothing written");
    assert_eq!(etag_after, etag_before);
    assert!(audit_rows(&app).await.is_empty());
}

#[tokio::test]
async fn unknown_fields_wrong_types_and_bad_bodies_get_clear_answers() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;

    let unknown = patch(&app, &token, json!({"Fullname": "Jane"})).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let message = unknown.json()["Errors"][0]["Message"]
        .as_str()
        .expect("message")
        .to_owned();
    assert!(message.contains("Did you mean FullName?"), "{message}");

    let wrong_type = patch(&app, &token, json!({"ProfileIsPublic": "yes"})).await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong_type.json()["Errors"][0]["PropertyName"],
        "ProfileIsPublic"
    );

    let send_raw = |content_type: &'static str, body: Vec<u8>| {
        Request::builder()
            .method(Method::PATCH)
            .uri("/api/public/coworker/profile")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("request")
    };
    let malformed = app
        .send(send_raw("application/json", b"{\"Position\": ".to_vec()))
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.json()["Status"], 400);
    let not_json = app
        .send(send_raw("text/plain", b"Position=x".to_vec()))
        .await;
    assert_eq!(not_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = format!(
        "{{\"ProfileSummary\": \"{}\"}}",
        "a".repeat(1024 * 1024 + 10)
    );
    let too_large = app
        .send(send_raw("application/json", huge.into_bytes()))
        .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.json()["Status"], 413);
}

#[tokio::test]
async fn if_match_with_a_stale_etag_is_412_and_writes_nothing() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let (_, etag) = profile(&app, &token).await;
    assert_eq!(
        patch(&app, &token, json!({"Position": "Designer"}))
            .await
            .status,
        StatusCode::OK
    );

    let stale = patch_if_match(&app, &token, &etag, json!({"Position": "Engineer"})).await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.text
    );
    assert_eq!(stale.json()["Status"], 412);
    let (fields, fresh) = profile(&app, &token).await;
    assert_eq!(fields["Position"], "Designer");

    let ok = patch_if_match(&app, &token, &fresh, json!({"Position": "Engineer"})).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(profile(&app, &token).await.0["Position"], "Engineer");
}

#[tokio::test]
async fn an_if_match_that_is_not_an_entity_tag_is_400_naming_it_and_writes_nothing() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let (_, etag) = profile(&app, &token).await;
    for garbage in ["", "p1-v1", "\"unterminated"] {
        let refused = patch_if_match(&app, &token, garbage, json!({"Position": "Engineer"})).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{garbage:?}");
        assert_eq!(refused.json()["Errors"][0]["PropertyName"], "If-Match");
    }
    let (fields, unchanged) = profile(&app, &token).await;
    assert_eq!(fields["Position"], Value::Null);
    assert_eq!(unchanged, etag);
}

#[tokio::test]
async fn the_vat_prefix_follows_the_billing_country_stored_or_sent() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let refused = patch(
        &app,
        &token,
        json!({"BillingCountryId": 276, "TaxIDNumber": "123456789"}),
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.json()["Errors"][0]["PropertyName"], "TaxIDNumber");

    assert_eq!(
        patch(&app, &token, json!({"BillingCountryId": 276}))
            .await
            .status,
        StatusCode::OK
    );
    let later = patch(&app, &token, json!({"TaxIDNumber": "FR123456789"})).await;
    assert_eq!(
        later.status,
        StatusCode::BAD_REQUEST,
        "the stored country is Germany"
    );
    let fine = patch(&app, &token, json!({"TaxIDNumber": "de 123 456 789"})).await;
    assert_eq!(fine.status, StatusCode::OK, "{}", fine.text);
    assert_eq!(profile(&app, &token).await.0["TaxIDNumber"], "DE123456789");
}

#[tokio::test]
async fn a_password_change_through_the_patch_signs_out_other_devices_only() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let other = app.log_in("jane@example.com", PASSWORD).await.json()["Value"]["AccessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let new_password = "a brighter harbour at dawn";

    let wrong = patch(
        &app,
        &token,
        json!({"CurrentPassword": "nope", "NewPassword": new_password, "ConfirmPassword": new_password}),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.json()["Errors"][0]["PropertyName"], "CurrentPassword");
    assert!(!wrong.text.contains(new_password));

    // All or nothing: a bad field next to a valid password change changes neither.
    let mixed = patch(
        &app,
        &token,
        json!({"CurrentPassword": PASSWORD, "NewPassword": new_password, "ConfirmPassword": new_password, "MobilePhone": "x"}),
    )
    .await;
    assert_eq!(mixed.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.log_in("jane@example.com", PASSWORD).await.status,
        StatusCode::OK
    );

    let changed = patch(
        &app,
        &token,
        json!({"CurrentPassword": PASSWORD, "NewPassword": new_password, "ConfirmPassword": new_password, "Position": "CTO"}),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.json()["Value"], json!(["Position", "Password"]));
    assert_eq!(audit_rows(&app).await, vec!["Position,Password"]);

    let me = app.call(Method::GET, "/login/me", Some(&token), None).await;
    assert_eq!(me.status, StatusCode::OK, "this session stays");
    let elsewhere = app.call(Method::GET, "/login/me", Some(&other), None).await;
    assert_eq!(
        elsewhere.status,
        StatusCode::UNAUTHORIZED,
        "other devices are signed out"
    );
    assert_eq!(
        app.log_in("jane@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.log_in("jane@example.com", new_password).await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_patches_of_different_fields_all_land() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let fields = [
        "Position",
        "CompanyName",
        "Industry",
        "CityName",
        "State",
        "Address",
        "PostCode",
        "BillingName",
    ];
    // Each field is written five times in order; different fields race each other.
    let writers = fields.map(|field| {
        let app = &app;
        let token = token.clone();
        async move {
            for round in 0..5 {
                let response =
                    patch(app, &token, json!({ field: format!("{field} {round}") })).await;
                assert_eq!(response.status, StatusCode::OK, "{}", response.text);
            }
        }
    });
    futures::future::join_all(writers).await;

    let (stored, etag) = profile(&app, &token).await;
    for field in fields {
        assert_eq!(stored[field], format!("{field} 4"), "{field}");
    }
    assert!(
        etag.ends_with(&format!("-v{}\"", 1 + fields.len() * 5)),
        "{etag}"
    );
}

#[tokio::test]
async fn concurrent_patches_with_the_same_etag_let_exactly_one_through() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let (_, etag) = profile(&app, &token).await;
    let fields = [
        "Position",
        "CompanyName",
        "Industry",
        "CityName",
        "State",
        "Address",
    ];
    // They reach the writer together, most likely in one batch: the first moves the version on
    // and every other one, written against the old version, must be refused.
    let attempts =
        fields.map(|field| patch_if_match(&app, &token, &etag, json!({ field: "changed" })));
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|response| response.status)
        .collect();
    let accepted = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::PRECONDITION_FAILED)
        .count();
    assert_eq!((accepted, refused), (1, fields.len() - 1), "{statuses:?}");

    let (stored, fresh) = profile(&app, &token).await;
    let changed = fields
        .iter()
        .filter(|field| stored[**field] == "changed")
        .count();
    assert_eq!(changed, 1, "only the accepted patch was written");
    assert!(fresh.ends_with("-v2\""), "{fresh}");
    assert_eq!(audit_rows(&app).await.len(), 1);
}

#[tokio::test]
async fn guessing_the_current_password_through_the_patch_is_throttled() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let guess = |attempt: usize| json!({"CurrentPassword": format!("guess {attempt}"), "NewPassword": "a brighter harbour at dawn", "ConfirmPassword": "a brighter harbour at dawn"});
    for attempt in 0..10 {
        let response = patch(&app, &token, guess(attempt)).await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "attempt {attempt}"
        );
    }
    let locked = patch(&app, &token, guess(10)).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.text
    );
    assert!(locked.header("retry-after").is_some());
}

#[tokio::test]
async fn every_patch_checks_the_session_however_it_is_written() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let (_, etag) = profile(&app, &token).await;
    let send = |token: Option<&str>, body: &str| {
        let mut request = Request::builder()
            .method(Method::PATCH)
            .uri("/api/public/coworker/profile")
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        app.send(request.body(Body::from(body.to_owned())).expect("request"))
    };
    // On PostgreSQL the first is checked and written with the session in one statement; the
    // second needs the stored countries first, so the session is checked before it.
    let bodies = [r#"{"Position": "Designer"}"#, r#"{"CountryId": 276}"#];
    for body in bodies {
        for token in [None, Some("not-a-token")] {
            let refused = send(token, body).await;
            assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{body} {token:?}");
        }
    }
    // Without a session even a broken request is a 401; with one it is told what is wrong.
    for broken in [r#"{"Position": 7}"#, "not json", r#"{"Nope": 1}"#] {
        assert_eq!(
            send(Some("not-a-token"), broken).await.status,
            StatusCode::UNAUTHORIZED,
            "{broken}"
        );
        assert_eq!(
            send(Some(&token), broken).await.status,
            StatusCode::BAD_REQUEST,
            "{broken}"
        );
    }
    app.store
        .execute_sql("UPDATE sessions SET expires_at = 0")
        .await
        .expect("expire");
    for body in bodies {
        assert_eq!(
            send(Some(&token), body).await.status,
            StatusCode::UNAUTHORIZED,
            "expired: {body}"
        );
    }
    assert!(audit_rows(&app).await.is_empty(), "nothing was written");
    let fresh = app.log_in("jane@example.com", PASSWORD).await.json()["Value"]["AccessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let (fields, unchanged) = profile(&app, &fresh).await;
    assert_eq!(unchanged, etag);
    assert_eq!(fields["Position"], Value::Null);

    // A tag of another resource or profile never matches, whoever checks it.
    for tag in ["\"s1-v1\"", "\"p999-v1\""] {
        let stale = patch_if_match(&app, &fresh, tag, json!({"Position": "Designer"})).await;
        assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{tag}");
    }
    // Nothing sent is nothing changed, at the same version.
    let nothing = patch_if_match(&app, &fresh, &etag, json!({})).await;
    assert_eq!(nothing.status, StatusCode::OK, "{}", nothing.text);
    assert_eq!(nothing.json()["Value"], json!([]));
    assert_eq!(nothing.header("etag"), Some(etag.as_str()));
    let written = patch_if_match(&app, &fresh, &etag, json!({"Position": "Designer"})).await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text);
    assert_eq!(written.json()["Value"], json!(["Position"]));
    assert_eq!(audit_rows(&app).await, vec!["Position"]);
}

#[tokio::test]
async fn a_patch_by_cookie_slides_the_session_and_renews_the_cookie_when_due() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let two_days_ago = app::server::clock::now() - 2 * 86_400;
    app.store
        .execute_sql(&format!(
            "UPDATE sessions SET last_seen_at = {two_days_ago}, cookie_issued_at = {two_days_ago}"
        ))
        .await
        .expect("age");
    let request = Request::builder()
        .method(Method::PATCH)
        .uri("/api/public/coworker/profile")
        .header(header::COOKIE, format!("portal_session={token}"))
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"Position": "Designer"}"#))
        .expect("request");
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let cookie = response.header("set-cookie").expect("renewed cookie");
    assert!(
        cookie.starts_with(&format!("portal_session={token};")),
        "{cookie}"
    );
    let seen: Vec<i64> = app
        .store
        .scalars_sql("SELECT last_seen_at FROM sessions")
        .await
        .expect("sessions");
    assert!(seen[0] > two_days_ago, "the session slid: {seen:?}");
}
