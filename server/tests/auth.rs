//! Accounts and sessions over HTTP: sign-up, sign-in, tokens and cookies, isolation, throttling.

mod common;

use axum::body::Body;
use common::test_app;
use http::{header, Method, Request, StatusCode};
use serde_json::json;

const PASSWORD: &str = "a quiet harbour at dusk";

#[tokio::test]
async fn sign_up_stores_an_argon2id_hash_and_signs_the_member_in() {
    let app = test_app().await;
    let response = app
        .call(
            Method::POST,
            "/api/auth/signup",
            None,
            Some(json!({"Email": " Jane@Example.com ", "Password": PASSWORD, "FullName": " Jane Doe "})),
        )
        .await;

    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    let body = response.json();
    assert_eq!(body["WasSuccessful"], true);
    assert_eq!(body["Status"], 201);
    let token = body["Value"]["AccessToken"].as_str().expect("token");
    assert!(token.len() >= 43, "at least 256 bits, base64: {token}");
    assert!(!response.text.contains(PASSWORD));
    let cookie = response.header("set-cookie").expect("cookie");
    assert!(
        cookie.starts_with(&format!("portal_session={token};")),
        "{cookie}"
    );
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");

    let (email, hash): (String, String) = app
        .store
        .row_sql("SELECT email, password_hash FROM users")
        .await
        .expect("user row");
    assert_eq!(email, "Jane@Example.com");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    let stored_hashes: Vec<Vec<u8>> = app
        .store
        .scalars_sql("SELECT token_hash FROM sessions")
        .await
        .expect("hashes");
    assert!(!stored_hashes.is_empty(), "the session is stored");
    assert!(
        !stored_hashes.contains(&token.as_bytes().to_vec()),
        "the token itself is never stored"
    );

    let me = app.call(Method::GET, "/login/me", Some(token), None).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    let me = me.json();
    assert_eq!(me["Value"]["User"]["Email"], "Jane@Example.com");
    assert_eq!(me["Value"]["Profile"]["FullName"], "Jane Doe");
    assert_eq!(me["Value"]["Profile"]["IsDefaultProfile"], true);
    assert_eq!(me["Value"]["LocationName"], "Main space");
    assert_eq!(
        me["Value"]["NotificationPreferences"]["SignUpToNewsletter"], false,
        "newsletters are opt-in"
    );
}

#[tokio::test]
async fn an_invalid_sign_up_reports_every_field_and_stores_nothing() {
    let app = test_app().await;
    let response = app
        .call(
            Method::POST,
            "/api/auth/signup",
            None,
            Some(json!({"Email": "not-an-email", "Password": "Password1", "FullName": ""})),
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
    assert_eq!(body["Status"], 400);
    let errors = body["Errors"].as_array().expect("errors");
    let fields: Vec<&str> = errors
        .iter()
        .map(|error| error["PropertyName"].as_str().expect("name"))
        .collect();
    assert_eq!(fields, vec!["Email", "FullName", "Password"]);
    assert_eq!(errors[0]["AttemptedValue"], "not-an-email");
    assert!(errors[2]["Message"]
        .as_str()
        .expect("message")
        .contains("commonly used"));
    assert!(
        errors[2]["AttemptedValue"].is_null(),
        "passwords are never echoed"
    );
    assert!(!response.text.contains("Password1"));

    let users: i64 = app
        .store
        .scalar_sql("SELECT COUNT(*) FROM users")
        .await
        .expect("count");
    assert_eq!(users, 0);
}

#[tokio::test]
async fn an_email_is_registered_once_whatever_its_case() {
    let app = test_app().await;
    app.sign_up("jane@example.com", PASSWORD, "Jane").await;
    let response = app
        .call(
            Method::POST,
            "/api/auth/signup",
            None,
            Some(json!({"Email": "JANE@example.COM", "Password": PASSWORD, "FullName": "Jane"})),
        )
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    let body = response.json();
    assert_eq!(body["Errors"][0]["PropertyName"], "Email");
    assert!(body["Errors"][0]["Message"]
        .as_str()
        .expect("message")
        .contains("already registered"));
}

#[tokio::test]
async fn sign_in_gives_a_token_that_works_as_bearer_and_as_cookie() {
    let app = test_app().await;
    app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;

    let response = app.log_in("JANE@example.com", PASSWORD).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let body = response.json();
    let token = body["Value"]["AccessToken"].as_str().expect("token");
    assert!(body["Value"]["ExpiresAt"]
        .as_str()
        .expect("expiry")
        .ends_with('Z'));
    assert!(response.header("set-cookie").is_some());

    let bearer = app.call(Method::GET, "/login/me", Some(token), None).await;
    assert_eq!(bearer.status, StatusCode::OK);
    let cookie = app
        .send(
            Request::get("/login/me")
                .header(
                    header::COOKIE,
                    format!("theme=dark; portal_session={token}"),
                )
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(cookie.status, StatusCode::OK, "{}", cookie.text);
    assert_eq!(cookie.json()["Value"]["User"]["Email"], "jane@example.com");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = test_app().await;
    app.sign_up("jane@example.com", PASSWORD, "Jane").await;

    let wrong = app.log_in("jane@example.com", "not the password").await;
    let unknown = app.log_in("nobody@example.com", PASSWORD).await;
    for response in [&wrong, &unknown] {
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
        assert_eq!(response.header("www-authenticate"), Some("Bearer"));
        assert!(response.header("set-cookie").is_none());
    }
    assert_eq!(wrong.text, unknown.text);
    assert_eq!(wrong.json()["Status"], 401);
}

#[tokio::test]
async fn missing_invalid_and_expired_tokens_are_401_with_the_envelope() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane").await;
    app.store
        .execute_sql("UPDATE sessions SET expires_at = 0")
        .await
        .expect("expire");

    for presented in [None, Some("not-a-token"), Some(token.as_str())] {
        let response = app.call(Method::GET, "/login/me", presented, None).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{presented:?}");
        assert_eq!(response.header("www-authenticate"), Some("Bearer"));
        let body = response.json();
        assert_eq!(body["Status"], 401);
        assert_eq!(body["WasSuccessful"], false);
    }
}

#[tokio::test]
async fn logout_revokes_the_token_and_clears_the_cookie() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane").await;
    let other_device = app.log_in("jane@example.com", PASSWORD).await.json()["Value"]
        ["AccessToken"]
        .as_str()
        .expect("token")
        .to_owned();

    let response = app
        .call(Method::POST, "/api/auth/logout", Some(&token), None)
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let cookie = response.header("set-cookie").expect("cookie");
    assert!(
        cookie.starts_with("portal_session=;") && cookie.contains("Max-Age=0"),
        "{cookie}"
    );

    let after = app.call(Method::GET, "/login/me", Some(&token), None).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    let other = app
        .call(Method::GET, "/login/me", Some(&other_device), None)
        .await;
    assert_eq!(
        other.status,
        StatusCode::OK,
        "other sessions stay signed in"
    );
}

#[tokio::test]
async fn members_see_only_their_own_profiles_and_cannot_switch_to_anothers() {
    let app = test_app().await;
    let jane = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let john = app.sign_up("john@example.com", PASSWORD, "John Roe").await;

    let janes = app
        .call(
            Method::GET,
            "/api/public/coworkers/profiles",
            Some(&jane),
            None,
        )
        .await
        .json();
    assert_eq!(janes["Value"]["User"]["Email"], "jane@example.com");
    let profiles = janes["Value"]["Profiles"].as_array().expect("profiles");
    assert_eq!(profiles.len(), 1);
    assert_eq!(profiles[0]["FullName"], "Jane Doe");
    assert_eq!(profiles[0]["IsDefaultProfile"], true);
    assert_eq!(profiles[0]["Active"], true);
    let janes_profile = profiles[0]["Id"].as_i64().expect("id");

    let steal = app
        .call(
            Method::POST,
            &format!("/api/public/coworkers/profiles/{janes_profile}/activate"),
            Some(&john),
            None,
        )
        .await;
    assert_eq!(steal.status, StatusCode::NOT_FOUND, "{}", steal.text);
    let johns_me = app
        .call(Method::GET, "/login/me", Some(&john), None)
        .await
        .json();
    assert_eq!(johns_me["Value"]["Profile"]["FullName"], "John Roe");
}

#[tokio::test]
async fn a_member_with_two_locations_can_switch_the_active_profile() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    app.store
        .execute_sql("INSERT INTO locations (id, name) VALUES (2, 'Harbour space')")
        .await
        .expect("location");
    app.store.execute_sql(
        "INSERT INTO customer_profiles (id, user_id, location_id, full_name, company_name, created_at, updated_at)
         SELECT 77, id, 2, 'Jane Doe', 'Doe Ltd', 0, 0 FROM users",
    )
    .await
    .expect("second profile");

    let switched = app
        .call(
            Method::POST,
            "/api/public/coworkers/profiles/77/activate",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(switched.status, StatusCode::OK, "{}", switched.text);
    let me = app
        .call(Method::GET, "/login/me", Some(&token), None)
        .await
        .json();
    assert_eq!(me["Value"]["Profile"]["Id"], 77);
    assert_eq!(me["Value"]["LocationName"], "Harbour space");
    assert_eq!(me["Value"]["Profile"]["IsDefaultProfile"], false);
}

#[tokio::test]
async fn a_profile_id_that_is_not_a_number_is_an_envelope_400_naming_it() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    for id in ["abc", "1.5", "99999999999999999999"] {
        let refused = app
            .call(
                Method::POST,
                &format!("/api/public/coworkers/profiles/{id}/activate"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{id}");
        assert_eq!(refused.json()["Errors"][0]["PropertyName"], "id", "{id}");
    }
}

#[tokio::test]
async fn ten_failures_lock_the_account_even_for_the_right_password() {
    let app = test_app().await;
    app.sign_up("jane@example.com", PASSWORD, "Jane").await;
    for attempt in 1..=10 {
        let response = app.log_in("jane@example.com", "wrong password").await;
        assert_eq!(
            response.status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }

    let locked = app.log_in("Jane@Example.com", PASSWORD).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.text
    );
    let retry_after: i64 = locked
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    assert_eq!(locked.json()["Status"], 429);
    assert!(locked.header("set-cookie").is_none());

    // Another account is not affected by Jane's lock (these requests share no client address).
    app.sign_up("john@example.com", PASSWORD, "John").await;
    assert_eq!(
        app.log_in("john@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn malformed_bodies_get_clear_400_415_answers_in_the_envelope() {
    let app = test_app().await;
    let malformed = app
        .send(
            Request::post("/api/auth/login")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{\"Email\": "))
                .expect("request"),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.json()["Status"], 400);

    let wrong_type = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"Email": 42, "Password": "x"})),
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert!(wrong_type.json()["Message"]
        .as_str()
        .expect("message")
        .contains("Email"));

    let not_json = app
        .send(
            Request::post("/api/auth/login")
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from("hello"))
                .expect("request"),
        )
        .await;
    assert_eq!(not_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(not_json.json()["WasSuccessful"], false);
}

/// A POST to logout carrying the session cookie, from `origin` (and `referer`) if given.
fn cookie_logout(token: &str, origin: Option<&str>, referer: Option<&str>) -> Request<Body> {
    let mut request = Request::post("/api/auth/logout")
        .header(header::HOST, "portal.test:3000")
        .header(header::COOKIE, format!("portal_session={token}"));
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    if let Some(referer) = referer {
        request = request.header(header::REFERER, referer);
    }
    request.body(Body::empty()).expect("request")
}

#[tokio::test]
async fn a_cross_site_post_with_the_cookie_is_refused_and_changes_nothing() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane").await;

    for (origin, referer) in [
        (Some("https://evil.example"), None),
        (Some("null"), None),
        (None, Some("https://evil.example/form.html")),
        (None, None),
    ] {
        let response = app.send(cookie_logout(&token, origin, referer)).await;
        assert_eq!(
            response.status,
            StatusCode::FORBIDDEN,
            "{origin:?} {referer:?}"
        );
        assert_eq!(response.json()["Status"], 403);
    }
    let still = app.call(Method::GET, "/login/me", Some(&token), None).await;
    assert_eq!(still.status, StatusCode::OK, "the session survived");

    let same_site = app
        .send(cookie_logout(
            &token,
            None,
            Some("http://portal.test:3000/profile"),
        ))
        .await;
    assert_eq!(same_site.status, StatusCode::OK, "{}", same_site.text);
}

#[tokio::test]
async fn bearer_requests_are_not_subject_to_the_origin_check() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane").await;
    let response = app
        .send(
            Request::post("/api/auth/logout")
                .header(header::HOST, "portal.test:3000")
                .header(header::ORIGIN, "https://tool.example")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
}

#[tokio::test]
async fn each_location_applies_its_own_password_policy() {
    let app = test_app().await;
    // The default location asks for more than the floor; a second one keeps the defaults.
    app.store
        .execute_sql(
            "UPDATE locations SET password_min_length = 12, password_require_digit = TRUE,
                password_require_upper = TRUE WHERE is_default",
        )
        .await
        .expect("strict default");
    app.store
        .execute_sql("INSERT INTO locations (id, name) VALUES (2, 'Relaxed space')")
        .await
        .expect("second location");

    let refused = app
        .call(
            Method::POST,
            "/api/auth/signup",
            None,
            Some(json!({"Email": "jane@example.com", "Password": "harbour dusk", "FullName": "Jane"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let messages: Vec<String> = refused.json()["Errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| error["Message"].as_str().expect("message").to_owned())
        .collect();
    assert_eq!(
        messages,
        vec![
            "Password must contain at least one digit.",
            "Password must contain at least one upper-case letter.",
        ]
    );
    app.sign_up("jane@example.com", "Harbour dusk 7", "Jane")
        .await;

    let strict = app::server::identity::accounts::policy_for_profile(&app.store, 1)
        .await
        .expect("policy");
    assert_eq!((strict.min_length, strict.require_digit), (12, true));
    app.store.execute_sql(
        "INSERT INTO customer_profiles (id, user_id, location_id, full_name, created_at, updated_at)
         VALUES (2, 1, 2, 'Jane', 0, 0)",
    )
    .await
    .expect("profile at the relaxed location");
    let relaxed = app::server::identity::accounts::policy_for_profile(&app.store, 2)
        .await
        .expect("policy");
    assert_eq!(
        relaxed,
        app::model::password_policy::PasswordPolicy::default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_cannot_get_more_than_ten_password_checks() {
    let app = test_app().await;
    app.sign_up("jane@example.com", PASSWORD, "Jane").await;
    let attempts = (0..30).map(|_| app.log_in("jane@example.com", "wrong password"));
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|response| response.status)
        .collect();
    let count = |status: StatusCode| statuses.iter().filter(|s| **s == status).count();
    let mut checked = count(StatusCode::UNAUTHORIZED);
    assert!(checked <= 10, "{checked} passwords were checked");
    assert_eq!(
        checked + count(StatusCode::TOO_MANY_REQUESTS),
        30,
        "{statuses:?}"
    );

    // However the burst went, the account allows exactly ten wrong guesses in all.
    loop {
        match app
            .log_in("jane@example.com", "wrong password")
            .await
            .status
        {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => break,
            other => panic!("unexpected {other}"),
        }
        assert!(checked <= 10, "{checked} passwords were checked");
    }
    assert_eq!(checked, 10);
    assert_eq!(
        app.log_in("jane@example.com", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn fifty_failures_from_one_address_lock_that_address_for_every_account() {
    let app = test_app().await;
    app.sign_up("target@example.com", PASSWORD, "Target").await;
    // Spread over many accounts, so that no account reaches its own limit of ten.
    for attempt in 0..50 {
        let email = format!("guess{}@example.com", attempt % 6);
        let response = app.log_in(&email, "wrong password").await;
        assert_eq!(
            response.status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    let locked = app.log_in("target@example.com", PASSWORD).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.text
    );
    assert!(locked.header("retry-after").is_some());
}
