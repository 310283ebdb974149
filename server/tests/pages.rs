//! Server-rendered pages and the form posts behind them, as a browser without JavaScript sees them.

mod common;

use axum::body::Body;
use common::{test_app, TestApp};
use http::{header, Request, StatusCode};

const PASSWORD: &str = "a quiet harbour at dusk";

async fn page(app: &TestApp, uri: &str, cookie: Option<&str>) -> common::TestResponse {
    let mut request = Request::get(uri).header(header::ACCEPT, "text/html");
    if let Some(token) = cookie {
        request = request.header(header::COOKIE, format!("portal_session={token}"));
    }
    app.send(request.body(Body::empty()).expect("request"))
        .await
}

/// A plain HTML form post, as a browser without JavaScript sends it.
async fn form_post(app: &TestApp, uri: &str, referer: &str, body: &str) -> common::TestResponse {
    app.send(
        Request::post(uri)
            .header(header::HOST, "portal.test")
            .header(header::ORIGIN, "http://portal.test")
            .header(header::ACCEPT, "text/html")
            .header(header::REFERER, referer)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .expect("request"),
    )
    .await
}

#[tokio::test]
async fn a_profile_page_sends_signed_out_visitors_to_sign_in_and_back() {
    let app = test_app().await;
    let response = page(&app, "/profile/billing", None).await;
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.text);
    assert_eq!(
        response.header("location"),
        Some("/login?next=/profile/billing")
    );
}

#[tokio::test]
async fn a_signed_in_member_sees_the_page_their_name_and_the_current_nav_entry() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let response = page(&app, "/profile/billing", Some(&token)).await;

    assert_eq!(response.status, StatusCode::OK);
    let body = &response.text;
    assert!(body.contains("<h1>Billing information"), "{body}");
    assert!(body.contains("Jane Doe"), "member name in the header");
    assert!(body.contains("Sign out"));
    let current: Vec<usize> = body
        .match_indices("aria-current=\"page\"")
        .map(|m| m.0)
        .collect();
    assert_eq!(current.len(), 1, "exactly one current entry");
    let link_start = body[..current[0]].rfind("<a").expect("inside a link");
    assert!(body[link_start..current[0]].contains("href=\"/profile/billing\""));
}

#[tokio::test]
async fn the_sign_in_and_sign_up_pages_render_labelled_forms() {
    let app = test_app().await;
    let login = page(&app, "/login?next=/profile/billing", None).await;
    assert_eq!(login.status, StatusCode::OK);
    for needle in [
        "<label for=\"email\"",
        "<label for=\"password\"",
        "name=\"next\" value=\"/profile/billing\"",
        "action=\"/api/fn/sign_in\"",
    ] {
        assert!(login.text.contains(needle), "{needle} missing");
    }
    let signup = page(&app, "/signup", None).await;
    assert_eq!(signup.status, StatusCode::OK);
    assert!(signup.text.contains("<label for=\"full_name\""));
    assert!(
        signup.text.contains("At least 8 characters"),
        "password checklist"
    );
}

#[tokio::test]
async fn a_form_sign_in_sets_the_cookie_and_redirects_to_next() {
    let app = test_app().await;
    app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let response = form_post(
        &app,
        "/api/fn/sign_in",
        "http://portal.test/login?next=/profile/billing",
        "email=jane%40example.com&password=a+quiet+harbour+at+dusk&next=%2Fprofile%2Fbilling",
    )
    .await;

    assert_eq!(response.status, StatusCode::FOUND, "{}", response.text);
    assert_eq!(response.header("location"), Some("/profile/billing"));
    let cookie = response.header("set-cookie").expect("cookie");
    assert!(
        cookie.starts_with("portal_session=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
}

#[tokio::test]
async fn a_failed_form_sign_in_returns_to_the_form_with_the_error_and_the_email() {
    let app = test_app().await;
    app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let response = form_post(
        &app,
        "/api/fn/sign_in",
        "http://portal.test/login",
        "email=jane%40example.com&password=wrong+password&next=",
    )
    .await;
    assert_eq!(response.status, StatusCode::FOUND);
    assert!(response.header("set-cookie").is_none());
    let location = response.header("location").expect("location").to_owned();
    assert!(location.contains("__err="), "{location}");

    let path = location.trim_start_matches("http://portal.test");
    let again = page(&app, path, None).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(
        again.text.contains("is not correct"),
        "error shown: {location}\n{}",
        again.text
    );
    assert!(
        again.text.contains("value=\"jane@example.com\""),
        "e-mail kept: {}",
        again.text
    );
    assert!(
        !again.text.contains("wrong password"),
        "password never echoed"
    );
}

/// A server-function call as the hydrated page makes it: JSON body, session cookie, same origin.
fn server_fn_call(uri: &str, token: &str, body: serde_json::Value) -> Request<Body> {
    Request::post(uri)
        .header(header::HOST, "portal.test")
        .header(header::ORIGIN, "http://portal.test")
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, format!("portal_session={token}"))
        .body(Body::from(body.to_string()))
        .expect("request")
}

#[tokio::test]
async fn the_profile_server_function_keeps_absent_null_and_value_apart() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let first = app
        .send(server_fn_call(
            "/api/fn/update_profile",
            &token,
            serde_json::json!({"patch": {"NickName": "JD", "Position": "Designer"}}),
        ))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.json(), serde_json::json!(["NickName", "Position"]));

    let second = app
        .send(server_fn_call(
            "/api/fn/update_profile",
            &token,
            serde_json::json!({"patch": {"NickName": null}}),
        ))
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let loaded = app
        .send(server_fn_call(
            "/api/fn/load_profile",
            &token,
            serde_json::json!({}),
        ))
        .await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.text);
    let fields = loaded.json();
    assert!(fields["NickName"].is_null(), "null cleared it");
    assert_eq!(fields["Position"], "Designer", "absent kept it");
}

#[tokio::test]
async fn the_profile_server_function_returns_the_same_field_errors_as_the_api() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let response = app
        .send(server_fn_call(
            "/api/fn/update_profile",
            &token,
            serde_json::json!({"patch": {"FullName": "", "Fullname": "x"}}),
        ))
        .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.text
    );
    let errors = response.json()["Rejected"]["errors"].clone();
    let names: Vec<&str> = errors
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| error["PropertyName"].as_str().expect("name"))
        .collect();
    assert_eq!(names, vec!["Fullname", "FullName"]);

    let signed_out = app
        .send(server_fn_call(
            "/api/fn/update_profile",
            "not-a-token",
            serde_json::json!({"patch": {"Position": "x"}}),
        ))
        .await;
    assert_eq!(signed_out.status, StatusCode::UNAUTHORIZED);
}
