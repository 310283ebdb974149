//! The member's security page over HTTP: their sessions (listed with device and address, ended
//! one at a time or all but this one) and their security log.

mod common;

use std::net::SocketAddr;

use app::server::{identity::settings::SecuritySettings, settings::Limits};
use axum::{body::Body, extract::ConnectInfo};
use common::{default_security, test_app, test_app_secured, TestApp, TestResponse};
use http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "a quiet harbour at dusk";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";

/// Signs in as `email` from `peer` with the browser `user_agent`; the answer.
async fn log_in_from(
    app: &TestApp,
    email: &str,
    password: &str,
    peer: &str,
    user_agent: &str,
) -> TestResponse {
    let mut request = Request::post("/api/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::USER_AGENT, user_agent)
        .body(Body::from(
            json!({"Email": email, "Password": password}).to_string(),
        ))
        .expect("request");
    let addr: SocketAddr = format!("{peer}:40000").parse().expect("peer");
    request.extensions_mut().insert(ConnectInfo(addr));
    app.send(request).await
}

async fn token_from(app: &TestApp, email: &str, peer: &str, user_agent: &str) -> String {
    let response = log_in_from(app, email, PASSWORD, peer, user_agent).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    response.json()["Value"]["AccessToken"]
        .as_str()
        .expect("token")
        .to_owned()
}

async fn sessions(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app
        .call(Method::GET, "/api/account/sessions", Some(token), None)
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    response.json()["Value"].as_array().expect("a list").clone()
}

async fn signed_in(app: &TestApp, token: &str) -> bool {
    let me = app.call(Method::GET, "/login/me", Some(token), None).await;
    match me.status {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("unexpected {other}: {}", me.text),
    }
}

async fn log(app: &TestApp, token: &str, page: &str) -> TestResponse {
    app.call(
        Method::GET,
        &format!("/api/account/security-log{page}"),
        Some(token),
        None,
    )
    .await
}

/// The first page of the log once it has `count` entries: a refused sign-in is logged by a task
/// of its own, just after the answer.
async fn log_with(app: &TestApp, token: &str, count: usize) -> Value {
    for _ in 0..200 {
        let page = log(app, token, "").await.json()["Value"].clone();
        if page["Entries"].as_array().map_or(0, Vec::len) >= count {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the log never reached {count} entries");
}

fn kinds(page: &Value) -> Vec<String> {
    page["Entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| entry["Kind"].as_str().expect("kind").to_owned())
        .collect()
}

/// Saves `body` to the active profile of `token`'s member; it must succeed.
async fn patch_profile(app: &TestApp, token: &str, body: Value) {
    let patched = app
        .call(
            Method::PATCH,
            "/api/public/coworker/profile",
            Some(token),
            Some(body),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
}

/// Replaces the support profile of `token`'s member with just an e-mail address.
async fn replace_support(app: &TestApp, token: &str, email: &str) {
    let replaced = app
        .call(
            Method::PUT,
            "/v1/profiles/support",
            Some(token),
            Some(json!({ "email": email })),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.text);
}

/// Gives the only member a second customer profile, id 77, at a second location.
async fn second_profile(app: &TestApp) {
    app.store
        .execute_sql("INSERT INTO locations (id, name) VALUES (2, 'Harbour space')")
        .await
        .expect("location");
    app.store
        .execute_sql(
            "INSERT INTO customer_profiles (id, user_id, location_id, full_name, company_name, created_at, updated_at)
             SELECT 77, id, 2, 'Jane Doe', 'Doe Ltd', 0, 0 FROM users",
        )
        .await
        .expect("second profile");
}

#[tokio::test]
async fn sessions_are_listed_with_their_device_and_address_and_the_current_one_marked() {
    let app = test_app().await;
    let first = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let phone = token_from(&app, "jane@example.com", "198.51.100.7", IPHONE).await;
    let laptop = token_from(&app, "jane@example.com", "203.0.113.9", FIREFOX).await;

    let listed = sessions(&app, &laptop).await;
    assert_eq!(listed.len(), 3, "{listed:?}");
    let current: Vec<&Value> = listed.iter().filter(|s| s["Current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["Device"]["Browser"], "Firefox 133");
    assert_eq!(current[0]["Device"]["System"], "Linux");
    assert_eq!(current[0]["ClientAddress"], "203.0.113.9");
    let iphone = listed
        .iter()
        .find(|s| s["ClientAddress"] == "198.51.100.7")
        .expect("the phone's session");
    assert_eq!(iphone["Device"]["Browser"], "Safari 17");
    assert_eq!(iphone["Device"]["Category"], "smartphone");
    assert_eq!(iphone["UserAgent"], IPHONE);
    assert!(iphone["SignedInAt"].as_i64().expect("time") > 1_700_000_000);
    assert!(iphone["LastActiveAt"].as_i64() >= iphone["SignedInAt"].as_i64());
    // The same sessions from another of them, with that one marked.
    let from_phone = sessions(&app, &phone).await;
    let marked: Vec<&Value> = from_phone.iter().filter(|s| s["Current"] == true).collect();
    assert_eq!(marked[0]["Id"], iphone["Id"]);
    assert!(signed_in(&app, &first).await);
}

#[tokio::test]
async fn ending_a_session_signs_that_device_out_on_its_next_request_and_is_logged() {
    let app = test_app().await;
    app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let laptop = token_from(&app, "jane@example.com", "203.0.113.9", FIREFOX).await;
    let phone = token_from(&app, "jane@example.com", "198.51.100.7", IPHONE).await;
    let phone_id = sessions(&app, &phone)
        .await
        .into_iter()
        .find(|s| s["Current"] == true)
        .expect("current")["Id"]
        .clone();

    let ended = app
        .call(
            Method::DELETE,
            &format!("/api/account/sessions/{phone_id}"),
            Some(&laptop),
            None,
        )
        .await;
    assert_eq!(ended.status, StatusCode::OK, "{}", ended.text);
    assert_eq!(ended.json()["Value"]["Ended"], 1);
    assert!(
        ended.header("set-cookie").is_none(),
        "this device stays signed in"
    );
    assert!(!signed_in(&app, &phone).await, "the phone is signed out");
    assert!(signed_in(&app, &laptop).await);

    // Ending it again: it is gone.
    let again = app
        .call(
            Method::DELETE,
            &format!("/api/account/sessions/{phone_id}"),
            Some(&laptop),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{}", again.text);

    let page = log(&app, &laptop, "").await.json()["Value"].clone();
    assert_eq!(kinds(&page)[0], "session_ended");
    assert_eq!(
        page["Entries"][0]["Description"],
        "Ended the session of Safari 17 on iPhone (198.51.100.7)"
    );
}

#[tokio::test]
async fn another_members_session_is_not_found_and_nothing_ends() {
    let app = test_app().await;
    let jane = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let john = app.sign_up("john@example.com", PASSWORD, "John Roe").await;
    let johns_id = sessions(&app, &john).await[0]["Id"].clone();

    for uri in [
        format!("/api/account/sessions/{johns_id}"),
        "/api/account/sessions/999999".to_owned(),
    ] {
        let refused = app.call(Method::DELETE, &uri, Some(&jane), None).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.text);
        assert_eq!(refused.json()["WasSuccessful"], false);
    }
    let not_a_number = app
        .call(
            Method::DELETE,
            "/api/account/sessions/abc",
            Some(&jane),
            None,
        )
        .await;
    assert_eq!(not_a_number.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_a_number.json()["Errors"][0]["PropertyName"], "id");
    assert!(signed_in(&app, &john).await, "John's session did not end");
    assert!(signed_in(&app, &jane).await);
    // Neither sees the other's sessions or log.
    assert_eq!(sessions(&app, &jane).await.len(), 1);
    let johns_log = log(&app, &john, "").await.json()["Value"].clone();
    assert_eq!(kinds(&johns_log), ["signed_up"]);
}

#[tokio::test]
async fn ending_every_other_session_keeps_only_this_one() {
    let app = test_app().await;
    let first = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let phone = token_from(&app, "jane@example.com", "198.51.100.7", IPHONE).await;
    let laptop = token_from(&app, "jane@example.com", "203.0.113.9", FIREFOX).await;
    let other = app.sign_up("john@example.com", PASSWORD, "John Roe").await;

    let ended = app
        .call(
            Method::POST,
            "/api/account/sessions/end-others",
            Some(&laptop),
            None,
        )
        .await;
    assert_eq!(ended.status, StatusCode::OK, "{}", ended.text);
    assert_eq!(ended.json()["Value"]["Ended"], 2);
    assert!(!signed_in(&app, &first).await);
    assert!(!signed_in(&app, &phone).await);
    assert!(signed_in(&app, &laptop).await);
    assert!(
        signed_in(&app, &other).await,
        "another member's session stays"
    );
    assert_eq!(sessions(&app, &laptop).await.len(), 1);
    let page = log(&app, &laptop, "").await.json()["Value"].clone();
    assert_eq!(page["Entries"][0]["Description"], "Ended 2 other sessions");
}

#[tokio::test]
async fn ending_the_current_session_signs_it_out_and_clears_the_cookie() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let id = sessions(&app, &token).await[0]["Id"].clone();
    let ended = app
        .call(
            Method::DELETE,
            &format!("/api/account/sessions/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(ended.status, StatusCode::OK, "{}", ended.text);
    let cookie = ended.header("set-cookie").expect("cookie cleared");
    assert!(cookie.contains("Max-Age=0"), "{cookie}");
    assert!(!signed_in(&app, &token).await);
}

#[tokio::test]
async fn the_log_shows_what_happened_newest_first_and_never_what_was_typed() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let wrong = log_in_from(
        &app,
        "jane@example.com",
        "not my password at all",
        "192.0.2.44",
        FIREFOX,
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    log_with(&app, &token, 2).await;
    let laptop = token_from(&app, "jane@example.com", "203.0.113.9", FIREFOX).await;
    let patched = app
        .send(
            Request::patch("/api/public/coworker/profile")
                .header(header::AUTHORIZATION, format!("Bearer {laptop}"))
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::USER_AGENT, IPHONE)
                .body(Body::from(
                    json!({"CityName": "Lisbon", "Position": "Designer"}).to_string(),
                ))
                .expect("request"),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    replace_support(&app, &laptop, "help@acme.example").await;
    let out = app
        .call(Method::POST, "/api/auth/logout", Some(&token), None)
        .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.text);

    let response = log(&app, &laptop, "").await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let page = response.json()["Value"].clone();
    assert_eq!(
        kinds(&page),
        [
            "signed_out",
            "support_profile_replaced",
            "profile_changed",
            "signed_in",
            "sign_in_failed",
            "signed_up",
        ]
    );
    assert_eq!(page["Page"], 1);
    assert_eq!(page["HasOlder"], false);
    let changed = &page["Entries"][2];
    assert_eq!(changed["Fields"], json!(["CityName", "Position"]));
    assert_eq!(
        changed["Description"],
        "Profile changed: CityName, Position"
    );
    assert_eq!(
        changed["Device"]["Browser"], "Safari 17",
        "the device that made it"
    );
    let failed = &page["Entries"][4];
    assert_eq!(failed["ClientAddress"], "192.0.2.44");
    assert_eq!(failed["Description"], "Sign-in failed: wrong password");
    for typed in [
        "not my password at all",
        "Lisbon",
        "Designer",
        "help@acme.example",
        PASSWORD,
    ] {
        assert!(!response.text.contains(typed), "{typed} is in the log");
    }
}

#[tokio::test]
async fn a_member_with_several_profiles_sees_the_changes_to_each() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    second_profile(&app).await;
    let patch = |body: Value| {
        app.call(
            Method::PATCH,
            "/api/public/coworker/profile",
            Some(&token),
            Some(body),
        )
    };
    assert_eq!(
        patch(json!({"CityName": "Lisbon"})).await.status,
        StatusCode::OK
    );
    let switched = app
        .call(
            Method::POST,
            "/api/public/coworkers/profiles/77/activate",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(switched.status, StatusCode::OK, "{}", switched.text);
    assert_eq!(
        patch(json!({"PostCode": "1000-001"})).await.status,
        StatusCode::OK
    );

    let page = log(&app, &token, "").await.json()["Value"].clone();
    let fields: Vec<&Value> = page["Entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|entry| entry["Kind"] == "profile_changed")
        .map(|entry| &entry["Fields"])
        .collect();
    assert_eq!(fields, [&json!(["PostCode"]), &json!(["CityName"])]);
}

#[tokio::test]
async fn the_log_is_paged_and_a_bad_page_is_a_400_naming_it() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    for n in 0..30 {
        let patched = app
            .call(
                Method::PATCH,
                "/api/public/coworker/profile",
                Some(&token),
                Some(json!({"Position": format!("Role {n}")})),
            )
            .await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    }
    let first = log(&app, &token, "").await.json()["Value"].clone();
    assert_eq!(first["Entries"].as_array().expect("entries").len(), 25);
    assert_eq!(first["HasOlder"], true);
    let second = log(&app, &token, "?page=2").await.json()["Value"].clone();
    assert_eq!(kinds(&second).len(), 6, "five changes and the sign-up");
    assert_eq!(kinds(&second).last().map(String::as_str), Some("signed_up"));
    assert_eq!(second["HasOlder"], false);
    for bad in ["?page=0", "?page=-1", "?page=two"] {
        let refused = log(&app, &token, bad).await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            refused.text
        );
        assert_eq!(refused.json()["Errors"][0]["PropertyName"], "page");
    }
    let unauthenticated = app
        .call(Method::GET, "/api/account/security-log", None, None)
        .await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_throttled_sign_in_is_logged_once_however_often_it_is_repeated() {
    let app = test_app_secured(SecuritySettings {
        limits: Limits {
            sign_in_per_account: 2,
            ..Limits::default()
        },
        ..default_security()
    })
    .await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let mut statuses = Vec::new();
    for attempt in 1..=5 {
        statuses.push(
            log_in_from(
                &app,
                "jane@example.com",
                "wrong guess",
                "192.0.2.44",
                FIREFOX,
            )
            .await
            .status,
        );
        // Each refusal is logged (or not) before the next attempt: one at a time, as an
        // attacker's requests are seen over a window.
        log_with(&app, &token, (attempt + 1).min(4)).await;
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS,
        ]
    );
    // Time for the last refusals' tasks, had they anything to write.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let page = log(&app, &token, "").await.json()["Value"].clone();
    assert_eq!(
        kinds(&page),
        [
            "sign_in_throttled",
            "sign_in_failed",
            "sign_in_failed",
            "signed_up"
        ]
    );
}

async fn reauthenticate(app: &TestApp, token: &str, password: &str) -> TestResponse {
    app.call(
        Method::POST,
        "/api/account/reauthenticate",
        Some(token),
        Some(json!({"CurrentPassword": password})),
    )
    .await
}

#[tokio::test]
async fn the_export_needs_a_recent_password_confirmation_and_holds_everything_but_hashes() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    second_profile(&app).await;
    patch_profile(
        &app,
        &token,
        json!({"CityName": "Lisbon", "NotifyOnBlogComments": true}),
    )
    .await;
    replace_support(&app, &token, "help@acme.example").await;

    let unconfirmed = app
        .call(Method::GET, "/api/account/export", Some(&token), None)
        .await;
    assert_eq!(
        unconfirmed.status,
        StatusCode::FORBIDDEN,
        "{}",
        unconfirmed.text
    );
    assert!(unconfirmed.json()["Message"]
        .as_str()
        .expect("message")
        .contains("Confirm your password"));
    let wrong = reauthenticate(&app, &token, "not my password").await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.json()["Errors"][0]["PropertyName"], "CurrentPassword");
    let confirmed = reauthenticate(&app, &token, PASSWORD).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    assert!(confirmed.json()["Value"]["ValidUntil"].as_i64().is_some());

    let export = app
        .call(Method::GET, "/api/account/export", Some(&token), None)
        .await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.text);
    assert!(export
        .header("content-type")
        .is_some_and(|value| value.starts_with("application/json")));
    let disposition = export.header("content-disposition").expect("a download");
    assert!(
        disposition.starts_with("attachment; filename=\"member-data-"),
        "{disposition}"
    );
    let data = export.json();
    assert_eq!(data["Format"], "member-portal-data-export/1");
    assert_eq!(data["Account"]["Email"], "jane@example.com");
    let profiles = data["Profiles"].as_array().expect("profiles");
    assert_eq!(profiles.len(), 2, "every customer profile");
    assert_eq!(profiles[0]["Fields"]["CityName"], "Lisbon");
    assert_eq!(
        profiles[0]["Fields"]["NotifyOnBlogComments"], true,
        "notification settings"
    );
    assert_eq!(profiles[1]["Id"], 77);
    assert_eq!(profiles[1]["Fields"]["CompanyName"], "Doe Ltd");
    assert_eq!(data["SupportProfile"]["Email"], "help@acme.example");
    assert_eq!(data["Sessions"].as_array().expect("sessions").len(), 1);
    assert_eq!(
        data["ProfileAudit"][0]["ChangedFields"],
        json!(["CityName", "NotifyOnBlogComments"])
    );
    assert_eq!(
        data["SupportProfileAudit"][0]["ChangedFields"],
        json!(["email"])
    );
    let kinds: Vec<&str> = data["SecurityLog"]
        .as_array()
        .expect("log")
        .iter()
        .filter_map(|entry| entry["Kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["support_profile_replaced", "profile_changed", "signed_up"]
    );
    let hash: String = app
        .store
        .scalar_sql("SELECT password_hash FROM users")
        .await
        .expect("hash");
    for secret in [hash.as_str(), "argon2", &token, "TokenHash", "PasswordHash"] {
        assert!(!export.text.contains(secret), "{secret} is in the export");
    }

    // The confirmation belongs to the session that made it, and lasts 10 minutes.
    let other = token_from(&app, "jane@example.com", "203.0.113.9", FIREFOX).await;
    let elsewhere = app
        .call(Method::GET, "/api/account/export", Some(&other), None)
        .await;
    assert_eq!(elsewhere.status, StatusCode::FORBIDDEN);
    app.store
        .execute_sql("UPDATE sessions SET reauthenticated_at = reauthenticated_at - 601")
        .await
        .expect("age it");
    let stale = app
        .call(Method::GET, "/api/account/export", Some(&token), None)
        .await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.store.scalar_sql(sql).await.expect("count")
}

#[tokio::test]
async fn deleting_the_account_needs_the_password_and_the_address_and_leaves_nothing_behind() {
    let app = test_app().await;
    let token = app.sign_up("Jane@Example.com", PASSWORD, "Jane Doe").await;
    let john = app.sign_up("john@example.com", PASSWORD, "John Roe").await;
    patch_profile(&app, &token, json!({"CityName": "Lisbon"})).await;
    replace_support(&app, &token, "help@acme.example").await;
    let failed = log_in_from(
        &app,
        "jane@example.com",
        "a wrong guess",
        "192.0.2.44",
        FIREFOX,
    )
    .await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
    let _phone = token_from(&app, "jane@example.com", "198.51.100.7", IPHONE).await;

    let delete = |body: Value| {
        app.call(
            Method::POST,
            "/api/account/delete",
            Some(&token),
            Some(body),
        )
    };
    let wrong_address =
        delete(json!({"CurrentPassword": PASSWORD, "Email": "john@example.com"})).await;
    assert_eq!(wrong_address.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong_address.json()["Errors"][0]["PropertyName"], "Email");
    let wrong_password =
        delete(json!({"CurrentPassword": "not it", "Email": "jane@example.com"})).await;
    assert_eq!(wrong_password.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong_password.json()["Errors"][0]["PropertyName"],
        "CurrentPassword"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM users").await,
        2,
        "nothing was deleted"
    );

    let deleted = delete(json!({"CurrentPassword": PASSWORD, "Email": " jane@example.COM "})).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    assert!(deleted
        .header("set-cookie")
        .is_some_and(|cookie| cookie.contains("Max-Age=0")));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM password_failures WHERE account = 'jane@example.com'"
        )
        .await,
        0,
        "the throttle rows keyed by the account"
    );
    assert!(!signed_in(&app, &token).await);
    assert_eq!(
        log_in_from(&app, "jane@example.com", PASSWORD, "192.0.2.44", FIREFOX)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    for (table, remaining) in [
        ("users", 1),
        ("customer_profiles", 1),
        ("sessions", 1),
        ("profile_audit", 0),
        ("support_profiles", 0),
        ("support_profile_audit", 0),
        ("account_tokens", 1),
        ("security_events", 1),
    ] {
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM {table}")).await,
            remaining,
            "{table}: only John's rows are left"
        );
    }
    let mail: Vec<String> = app
        .store
        .scalars_sql("SELECT kind FROM outgoing_mail WHERE lower(recipient) = 'jane@example.com'")
        .await
        .expect("mail");
    assert_eq!(mail, ["account_deleted"], "only the notice that it is gone");
    assert!(signed_in(&app, &john).await, "another member is untouched");
    // The address can sign up again.
    app.sign_up("jane@example.com", PASSWORD, "Jane Again")
        .await;
}

#[tokio::test]
async fn another_site_cannot_end_sessions_or_delete_the_account_with_the_cookie() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let phone = token_from(&app, "jane@example.com", "198.51.100.7", IPHONE).await;
    let cross_site = |uri: &str, content_type: &str, body: String| {
        Request::post(uri)
            .header(header::HOST, "portal.test:3000")
            .header(header::ORIGIN, "https://evil.example")
            .header(header::COOKIE, format!("portal_session={token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("request")
    };
    for request in [
        cross_site(
            "/api/account/sessions/end-others",
            "application/json",
            String::new(),
        ),
        cross_site(
            "/api/fn/end_other_sessions",
            "application/x-www-form-urlencoded",
            String::new(),
        ),
        cross_site(
            "/api/account/delete",
            "application/json",
            json!({"CurrentPassword": PASSWORD, "Email": "jane@example.com"}).to_string(),
        ),
        cross_site(
            "/api/fn/delete_account",
            "application/x-www-form-urlencoded",
            format!(
                "current_password={}&email=jane%40example.com",
                PASSWORD.replace(' ', "+")
            ),
        ),
    ] {
        let uri = request.uri().to_string();
        let refused = app.send(request).await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{uri}: {}",
            refused.text
        );
    }
    assert!(signed_in(&app, &phone).await, "no session ended");
    assert!(signed_in(&app, &token).await, "the account is there");
}
