//! Safe in front of real traffic: throttles nobody can turn against others, the client address
//! behind proxies, login CSRF, redirects after sign-in, cookies that follow the session, and
//! the headers of every response.

mod common;

use std::net::SocketAddr;

use app::server::{
    identity::client::TrustedProxies, identity::settings::SecuritySettings, settings::Limits,
};
use axum::{body::Body, extract::ConnectInfo};
use common::{default_security, test_app, test_app_secured, TestApp, TestResponse};
use http::{header, request::Builder, Method, Request, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "a quiet harbour at dusk";
const NEW_PASSWORD: &str = "a brighter harbour at dawn";

/// A request that arrived over TCP from `peer` (an IP address).
fn from(peer: &str, builder: Builder, body: Body) -> Request<Body> {
    let mut request = builder.body(body).expect("request");
    let addr: SocketAddr = format!("{peer}:40000").parse().expect("peer address");
    request.extensions_mut().insert(ConnectInfo(addr));
    request
}

fn json_post(uri: &str) -> Builder {
    Request::post(uri).header(header::CONTENT_TYPE, "application/json")
}

async fn sign_up_from(app: &TestApp, peer: &str, email: &str) -> TestResponse {
    let body = json!({"Email": email, "Password": PASSWORD, "FullName": "A Member"});
    app.send(from(
        peer,
        json_post("/api/auth/signup"),
        Body::from(body.to_string()),
    ))
    .await
}

async fn token_of(response: &TestResponse) -> String {
    assert!(response.status.is_success(), "{}", response.text);
    response.json()["Value"]["AccessToken"]
        .as_str()
        .expect("token")
        .to_owned()
}

async fn log_in_from(
    app: &TestApp,
    peer: &str,
    email: &str,
    password: &str,
    device: Option<&str>,
) -> TestResponse {
    let mut builder = json_post("/api/auth/login");
    if let Some(device) = device {
        builder = builder.header(header::COOKIE, format!("portal_device={device}"));
    }
    let body = json!({"Email": email, "Password": password});
    app.send(from(peer, builder, Body::from(body.to_string())))
        .await
}

/// The value of the cookie `name` that the response sets.
fn set_cookie<'a>(response: &'a TestResponse, name: &str) -> Option<&'a str> {
    response
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|cookie| cookie.starts_with(&format!("{name}=")))
}

fn cookie_value(set_cookie: &str) -> String {
    let (pair, _) = set_cookie.split_once(';').unwrap_or((set_cookie, ""));
    pair.split_once('=').expect("name=value").1.to_owned()
}

async fn change_password(app: &TestApp, peer: &str, token: &str, current: &str) -> TestResponse {
    let body = json!({"CurrentPassword": current, "NewPassword": NEW_PASSWORD, "ConfirmPassword": NEW_PASSWORD});
    app.send(from(
        peer,
        Request::patch("/api/public/coworker/profile")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}")),
        Body::from(body.to_string()),
    ))
    .await
}

fn security(limits: Limits, proxies: &str, public_origin: Option<&str>) -> SecuritySettings {
    SecuritySettings {
        limits,
        trusted_proxies: TrustedProxies::parse(proxies).expect("proxies"),
        public_origin: public_origin.map(str::to_owned),
        ..default_security()
    }
}

#[tokio::test]
async fn members_failing_their_current_password_do_not_lock_out_everyone_else() {
    let app = test_app().await;
    for member in 1..=6 {
        let peer = format!("198.51.100.{member}");
        let token =
            token_of(&sign_up_from(&app, &peer, &format!("m{member}@example.com")).await).await;
        for guess in 0..10 {
            let wrong = change_password(&app, &peer, &token, &format!("guess {guess}")).await;
            assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.text);
        }
        let locked = change_password(&app, &peer, &token, "guess 10").await;
        assert_eq!(
            locked.status,
            StatusCode::TOO_MANY_REQUESTS,
            "member {member}"
        );
    }
    let seventh = token_of(&sign_up_from(&app, "198.51.100.7", "m7@example.com").await).await;
    let changed = change_password(&app, "198.51.100.7", &seventh, PASSWORD).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.json()["Value"], json!(["Password"]));
}

#[tokio::test]
async fn a_stranger_cannot_lock_a_member_out_of_their_known_device() {
    let app = test_app().await;
    let signed_up = sign_up_from(&app, "198.51.100.1", "jane@example.com").await;
    assert_eq!(signed_up.status, StatusCode::CREATED);
    let signed_in = log_in_from(&app, "198.51.100.1", "jane@example.com", PASSWORD, None).await;
    assert_eq!(signed_in.status, StatusCode::OK);
    let device_cookie = set_cookie(&signed_in, "portal_device").expect("a device cookie");
    assert!(
        device_cookie.contains("HttpOnly") && device_cookie.contains("SameSite=Strict"),
        "{device_cookie}"
    );
    let device = cookie_value(device_cookie);

    // The attacker, from many addresses, spends the account's budget for unknown clients.
    for attempt in 0..10 {
        let guess = log_in_from(
            &app,
            &format!("203.0.113.{attempt}"),
            "jane@example.com",
            "guess",
            None,
        )
        .await;
        assert_eq!(guess.status, StatusCode::UNAUTHORIZED);
    }
    let attacker = log_in_from(&app, "203.0.113.99", "jane@example.com", PASSWORD, None).await;
    assert_eq!(
        attacker.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even with the password"
    );
    let forged = format!("{}.{}", &device[..device.len() - 4], "AAAA");
    let forger = log_in_from(
        &app,
        "203.0.113.99",
        "jane@example.com",
        "guess",
        Some(&forged),
    )
    .await;
    assert_eq!(
        forger.status,
        StatusCode::TOO_MANY_REQUESTS,
        "a forged cookie is no device"
    );

    // Jane, on the device she signed in with, from a new address, signs in.
    let jane = log_in_from(
        &app,
        "192.0.2.50",
        "jane@example.com",
        PASSWORD,
        Some(&device),
    )
    .await;
    assert_eq!(jane.status, StatusCode::OK, "{}", jane.text);
    // The device's own budget is small: five wrong passwords, then it is an unknown client.
    for _ in 0..5 {
        let typo = log_in_from(
            &app,
            "192.0.2.50",
            "jane@example.com",
            "typo",
            Some(&device),
        )
        .await;
        assert_eq!(typo.status, StatusCode::UNAUTHORIZED);
    }
    let spent = log_in_from(
        &app,
        "192.0.2.50",
        "jane@example.com",
        PASSWORD,
        Some(&device),
    )
    .await;
    assert_eq!(spent.status, StatusCode::TOO_MANY_REQUESTS);
    // The cookie is for Jane's account only.
    sign_up_from(&app, "198.51.100.2", "john@example.com").await;
    for _ in 0..10 {
        log_in_from(&app, "203.0.113.5", "john@example.com", "guess", None).await;
    }
    let other = log_in_from(
        &app,
        "192.0.2.50",
        "john@example.com",
        PASSWORD,
        Some(&device),
    )
    .await;
    assert_eq!(other.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn sign_ups_are_limited_per_client_address_with_retry_after() {
    let limits = Limits {
        sign_ups_per_client: 3,
        ..Limits::default()
    };
    let app = test_app_secured(security(limits, "", None)).await;
    for n in 0..3 {
        let response = sign_up_from(&app, "198.51.100.1", &format!("m{n}@example.com")).await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    }
    // A sign-up its rules refuse costs no hash and is not counted, nor is it refused for the limit.
    let invalid = app
        .send(from(
            "198.51.100.1",
            json_post("/api/auth/signup"),
            Body::from(json!({"Email": "x", "Password": "p", "FullName": ""}).to_string()),
        ))
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    let refused = sign_up_from(&app, "198.51.100.1", "m4@example.com").await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.text
    );
    let retry_after: i64 = refused
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    let users: i64 = app
        .store
        .scalar_sql("SELECT COUNT(*) FROM users")
        .await
        .expect("count");
    assert_eq!(users, 3, "the refused sign-up created nothing");
    // The page's form counts against the same limit.
    let form = app
        .send(from(
            "198.51.100.1",
            Request::post("/api/fn/sign_up")
                .header(header::ACCEPT, "application/json")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            Body::from("email=m5%40example.com&password=a+quiet+harbour+at+dusk&full_name=M&next="),
        ))
        .await;
    assert_eq!(form.status, StatusCode::TOO_MANY_REQUESTS, "{}", form.text);
    let elsewhere = sign_up_from(&app, "198.51.100.2", "m6@example.com").await;
    assert_eq!(elsewhere.status, StatusCode::CREATED);
}

/// Three failed sign-ins from what the server takes to be one client, then the fourth attempt.
async fn fourth_attempt_after_three_failures(
    app: &TestApp,
    peer: &str,
    forwarded_for: impl Fn(usize) -> String,
) -> StatusCode {
    let mut status = StatusCode::OK;
    for attempt in 0..4 {
        let body = json!({"Email": format!("nobody{attempt}@example.com"), "Password": "guess"});
        let response = app
            .send(from(
                peer,
                json_post("/api/auth/login").header("x-forwarded-for", forwarded_for(attempt)),
                Body::from(body.to_string()),
            ))
            .await;
        status = response.status;
    }
    status
}

#[tokio::test]
async fn forwarding_headers_count_only_from_trusted_proxies() {
    let limits = Limits {
        sign_in_per_client: 3,
        ..Limits::default()
    };
    let app = test_app_secured(security(limits, "10.0.0.0/8", None)).await;
    // A client that forges a new X-Forwarded-For each time is still one address.
    let forged =
        fourth_attempt_after_three_failures(&app, "198.51.100.9", |n| format!("203.0.113.{n}"))
            .await;
    assert_eq!(forged, StatusCode::TOO_MANY_REQUESTS);
    // Behind the trusted proxy, each client is counted on its own...
    let proxied =
        fourth_attempt_after_three_failures(&app, "10.0.0.2", |n| format!("192.0.2.{n}")).await;
    assert_eq!(proxied, StatusCode::UNAUTHORIZED);
    // ...and the client's own forged entries to the left change nothing.
    let behind =
        fourth_attempt_after_three_failures(&app, "10.0.0.2", |n| format!("1.1.1.{n}, 192.0.2.77"))
            .await;
    assert_eq!(behind, StatusCode::TOO_MANY_REQUESTS);
}

async fn login_over(app: &TestApp, peer: &str, proto: &str) -> TestResponse {
    let body = json!({"Email": "jane@example.com", "Password": PASSWORD});
    app.send(from(
        peer,
        json_post("/api/auth/login").header("x-forwarded-proto", proto),
        Body::from(body.to_string()),
    ))
    .await
}

#[tokio::test]
async fn only_a_trusted_proxy_can_say_the_client_came_over_https() {
    let app = test_app_secured(security(Limits::default(), "127.0.0.1", None)).await;
    app.sign_up("jane@example.com", PASSWORD, "Jane").await;

    let forged = login_over(&app, "198.51.100.9", "https").await;
    assert_eq!(forged.status, StatusCode::OK);
    let cookie = set_cookie(&forged, "portal_session").expect("cookie");
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(forged.header("strict-transport-security").is_none());

    let proxied = login_over(&app, "127.0.0.1", "https").await;
    for name in ["portal_session", "portal_device"] {
        let cookie = set_cookie(&proxied, name).expect("cookie");
        assert!(cookie.ends_with("; Secure"), "{cookie}");
    }
    assert_eq!(
        proxied.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    let plain = login_over(&app, "127.0.0.1", "http").await;
    assert!(plain.header("strict-transport-security").is_none());
}

#[tokio::test]
async fn a_public_https_address_makes_cookies_secure_without_a_proxy() {
    let app = test_app_secured(security(
        Limits::default(),
        "",
        Some("https://portal.example"),
    ))
    .await;
    app.sign_up("jane@example.com", PASSWORD, "Jane").await;
    let response = login_over(&app, "198.51.100.9", "http").await;
    let cookie = set_cookie(&response, "portal_session").expect("cookie");
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    assert!(response.header("strict-transport-security").is_some());
}

/// A sign-in form posted by a browser, with the headers it would send from `origin`.
async fn browser_sign_in(app: &TestApp, site: &str, origin: &str, accept: &str) -> TestResponse {
    app.send(
        Request::post("/api/fn/sign_in")
            .header(header::HOST, "portal.test")
            .header("sec-fetch-site", site)
            .header(header::ORIGIN, origin)
            .header(header::ACCEPT, accept)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(
                "email=jane%40example.com&password=a+quiet+harbour+at+dusk&next=",
            ))
            .expect("request"),
    )
    .await
}

async fn sessions(app: &TestApp) -> i64 {
    app.store
        .scalar_sql("SELECT COUNT(*) FROM sessions")
        .await
        .expect("count")
}

#[tokio::test]
async fn another_site_cannot_sign_a_visitor_in_through_any_door() {
    let app = test_app().await;
    app.sign_up("jane@example.com", PASSWORD, "Jane").await;
    let before = sessions(&app).await;

    let page = browser_sign_in(&app, "cross-site", "https://evil.example", "text/html").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        page.text.contains("not sent from this site"),
        "{}",
        page.text
    );
    // In the site's style: the stylesheet every page links.
    assert!(
        page.text
            .contains(r#"rel="stylesheet" href="/pkg/portal.css""#),
        "{}",
        page.text
    );
    assert!(page.header("set-cookie").is_none());
    let island = browser_sign_in(
        &app,
        "cross-site",
        "https://evil.example",
        "application/json",
    )
    .await;
    assert_eq!(island.status, StatusCode::FORBIDDEN);
    assert!(island.json()["Rejected"]["message"]
        .as_str()
        .is_some_and(|message| message.contains("did not come from a page of this site")));
    let api = app
        .send(
            json_post("/api/auth/login")
                .header(header::HOST, "portal.test")
                .header(header::ORIGIN, "https://evil.example")
                .body(Body::from(
                    json!({"Email": "jane@example.com", "Password": PASSWORD}).to_string(),
                ))
                .expect("request"),
        )
        .await;
    assert_eq!(api.status, StatusCode::FORBIDDEN);
    assert_eq!(api.json()["Status"], 403);
    let sign_up = app
        .send(
            json_post("/api/auth/signup")
                .header("sec-fetch-site", "same-site")
                .body(Body::from(
                    json!({"Email": "mallory@example.com", "Password": PASSWORD, "FullName": "M"})
                        .to_string(),
                ))
                .expect("request"),
        )
        .await;
    assert_eq!(
        sign_up.status,
        StatusCode::FORBIDDEN,
        "a sibling subdomain is not this site"
    );
    assert_eq!(sessions(&app).await, before, "no session was made");

    let same = browser_sign_in(&app, "same-origin", "http://portal.test", "text/html").await;
    assert_eq!(same.status, StatusCode::FOUND, "{}", same.text);
    assert!(set_cookie(&same, "portal_session").is_some());
}

#[tokio::test]
async fn the_partner_door_refuses_in_its_own_shape() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane").await;
    let response = app
        .send(
            Request::put("/v1/profiles/support")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::COOKIE, format!("portal_session={token}"))
                .header("sec-fetch-site", "cross-site")
                .body(Body::from(json!({"Email": "x@example.com"}).to_string()))
                .expect("request"),
        )
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    let body = response.json();
    assert_eq!(body["code"], 403);
    assert_eq!(body["source"], "MemberPortal");
}

async fn sign_in_with_next(app: &TestApp, next: &str) -> TestResponse {
    let body = format!(
        "email=jane%40example.com&password=a+quiet+harbour+at+dusk&next={}",
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    );
    app.send(
        Request::post("/api/fn/sign_in")
            .header(header::HOST, "portal.test")
            .header(header::ORIGIN, "http://portal.test")
            .header(header::ACCEPT, "text/html")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request"),
    )
    .await
}

#[tokio::test]
async fn after_sign_in_the_browser_stays_on_this_site() {
    let app = test_app().await;
    app.sign_up("jane@example.com", PASSWORD, "Jane").await;
    for (next, location) in [
        ("/\t/evil.example", "/profile"),
        ("/\\evil.example", "/profile"),
        ("//evil.example/x", "/profile"),
        ("https://evil.example", "/profile"),
        ("/profile/billing?x=1#top", "/profile/billing?x=1#top"),
        (
            "/directory\r\nSet-Cookie: a=b",
            "/directorySet-Cookie:%20a=b",
        ),
    ] {
        let response = sign_in_with_next(&app, next).await;
        assert_eq!(
            response.status,
            StatusCode::FOUND,
            "{next:?}: {}",
            response.text
        );
        assert_eq!(response.header("location"), Some(location), "{next:?}");
    }
}

#[tokio::test]
async fn the_cookie_follows_the_sliding_expiry_at_most_once_a_day() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane").await;
    let me = |by_cookie: bool| {
        let header_pair = if by_cookie {
            (header::COOKIE, format!("portal_session={token}"))
        } else {
            (header::AUTHORIZATION, format!("Bearer {token}"))
        };
        Request::get("/login/me")
            .header(header_pair.0, header_pair.1)
            .body(Body::empty())
            .expect("request")
    };
    let age = |last_seen: i64, cookie_issued: i64| {
        let now = app::server::clock::now();
        let sql = format!(
            "UPDATE sessions SET last_seen_at = {}, cookie_issued_at = {}",
            now - last_seen,
            now - cookie_issued
        );
        let store = app.store.clone();
        async move { store.execute_sql(&sql).await }
    };

    let fresh = app.send(me(true)).await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert!(fresh.header("set-cookie").is_none(), "issued at sign-up");

    // Two days later the session slides, and the browser gets the cookie with a new Max-Age.
    age(2 * 86_400, 2 * 86_400).await.expect("age");
    let renewed = app.send(me(true)).await;
    let cookie = set_cookie(&renewed, "portal_session").expect("renewed cookie");
    assert!(
        cookie.starts_with(&format!("portal_session={token};")),
        "{cookie}"
    );
    let max_age: i64 = cookie
        .split("Max-Age=")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .and_then(|secs| secs.parse().ok())
        .expect("Max-Age");
    assert!(max_age > common::SESSION_TTL_SECS - 60, "{max_age}");

    // Slid again within the day: the cookie is not sent again.
    age(120, 3_600).await.expect("age");
    assert!(app.send(me(true)).await.header("set-cookie").is_none());
    // Bearer clients have no cookie to renew.
    age(2 * 86_400, 2 * 86_400).await.expect("age");
    assert!(app.send(me(false)).await.header("set-cookie").is_none());
}

#[tokio::test]
async fn pages_keep_their_opener_to_themselves_and_deny_unused_features() {
    let app = test_app().await;
    let response = app.get("/login").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.header("cross-origin-opener-policy"),
        Some("same-origin")
    );
    let permissions = response
        .header("permissions-policy")
        .expect("Permissions-Policy");
    for feature in ["camera=()", "microphone=()", "geolocation=()", "payment=()"] {
        assert!(permissions.contains(feature), "{permissions}");
    }
    assert!(
        response.header("strict-transport-security").is_none(),
        "plain http"
    );
    let api: Value = app.get("/api/health").await.json();
    assert_eq!(api["Status"], "ok");
}

#[tokio::test]
async fn a_json_api_client_without_browser_headers_still_signs_in() {
    let app = test_app().await;
    app.sign_up("jane@example.com", PASSWORD, "Jane").await;
    let response = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"Email": "jane@example.com", "Password": PASSWORD})),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
}
