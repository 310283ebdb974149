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

/// The nonce the response's Content-Security-Policy allows scripts with.
fn csp_nonce(response: &common::TestResponse) -> String {
    let policy = response.header("content-security-policy").expect("CSP");
    let nonce = policy.split("'nonce-").nth(1).expect("a nonce");
    nonce.split('\'').next().expect("quoted").to_owned()
}

#[tokio::test]
async fn signed_out_pages_are_served_again_with_their_own_nonce_and_never_to_a_member() {
    let app = test_app().await;
    let first = page(&app, "/login", None).await;
    let again = page(&app, "/login", None).await;
    assert_eq!(
        (first.status, again.status),
        (StatusCode::OK, StatusCode::OK)
    );
    let (first_nonce, nonce) = (csp_nonce(&first), csp_nonce(&again));
    assert_ne!(first_nonce, nonce);
    // The same page, with every script carrying this response's nonce and none the first's.
    assert_eq!(
        first.text.replace(&first_nonce, "NONCE"),
        again.text.replace(&nonce, "NONCE")
    );
    assert!(!again.text.contains(&first_nonce));
    assert_eq!(
        again.text.matches(&format!("nonce=\"{nonce}\"")).count(),
        again.text.matches("<script").count()
    );
    assert!(again.text.contains("<label for=\"email\""));

    // Another address is another page.
    let next = page(&app, "/login?next=/profile/billing", None).await;
    assert!(next
        .text
        .contains("name=\"next\" value=\"/profile/billing\""));
    assert!(again.text.contains("name=\"next\" value=\"\""));

    // A member who opens the sign-in page gets it rendered for them, signed in.
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let member = page(&app, "/login", Some(&token)).await;
    assert_eq!(member.status, StatusCode::OK);
    assert!(member.text.contains("Jane Doe"), "{}", member.text);
    assert!(!again.text.contains("Jane Doe"));
    assert!(!page(&app, "/login", None).await.text.contains("Jane Doe"));
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

/// A form post from a signed-in browser: without JavaScript (`Accept: text/html`) or as the
/// hydrated page sends it (`Accept: application/json`).
async fn member_post(
    app: &TestApp,
    uri: &str,
    token: &str,
    accept: &str,
    body: &str,
) -> common::TestResponse {
    let page = match body.split('&').next() {
        Some("section=personal") => "/profile",
        Some("section=notifications") => "/profile/notifications",
        _ => "/profile/professional",
    };
    app.send(
        Request::post(uri)
            .header(header::HOST, "portal.test")
            .header(header::ORIGIN, "http://portal.test")
            .header(header::ACCEPT, accept)
            .header(header::REFERER, format!("http://portal.test{page}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("portal_session={token}"))
            .body(Body::from(body.to_owned()))
            .expect("request"),
    )
    .await
}

async fn stored(app: &TestApp, column: &str) -> Option<String> {
    app.store
        .scalar_sql(&format!("SELECT {column} FROM customer_profiles"))
        .await
        .expect("row")
}

async fn patch(app: &TestApp, token: &str, body: serde_json::Value) {
    let response = app
        .call(
            http::Method::PATCH,
            "/api/public/coworker/profile",
            Some(token),
            Some(body),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
}

#[tokio::test]
async fn a_profile_page_arrives_filled_in_with_a_safe_preview() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    patch(
        &app,
        &token,
        serde_json::json!({"Position": "Designer", "ProfileIsPublic": true,
            "ProfileSummary": "**Maps** </textarea><script>alert(1)</script>",
            "ProfileTags": "maps, type"}),
    )
    .await;
    let response = page(&app, "/profile/professional", Some(&token)).await;
    assert_eq!(response.status, StatusCode::OK);
    let body = &response.text;
    for needle in [
        r#"name="values[Position]" type="text" autocomplete="organization-title" value="Designer""#,
        r#"&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>"#,
        "<p><strong>Maps</strong> </p>",
        r#"<input type="hidden" name="loaded[ProfileTags]" value="maps, type""#,
        r#"<li class="chip"><span>maps<!></span>"#,
    ] {
        assert!(body.contains(needle), "{needle} missing in {body}");
    }
    let switch_start = body.find(r#"<input id="ProfileIsPublic""#).expect("switch");
    let switch_end = switch_start + body[switch_start..].find('>').expect("tag end");
    let switch = &body[switch_start..switch_end];
    assert!(
        switch.contains(r#"role="switch""#) && switch.contains(" checked"),
        "a public profile's switch is on: {switch}"
    );
    assert!(
        !body.contains("<script>alert(1)"),
        "no live script anywhere"
    );
}

/// The form's HTML is kept by the values it shows (`island_memo`): the page shown again is the
/// same page, a change shows at once, and another member never gets this member's form.
#[tokio::test]
async fn a_profile_page_shown_again_is_the_same_and_a_change_shows_at_once() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let other = app.sign_up("joe@example.com", PASSWORD, "Joe Bloggs").await;
    let shown = |token: String| {
        let app = &app;
        async move {
            let response = page(app, "/profile/professional", Some(&token)).await;
            assert_eq!(response.status, StatusCode::OK, "{}", response.text);
            let nonce = csp_nonce(&response);
            response.text.replace(&nonce, "NONCE")
        }
    };
    let value = |position: &str| {
        format!(
            r#"name="values[Position]" type="text" autocomplete="organization-title" value="{position}""#
        )
    };

    patch(
        &app,
        &token,
        serde_json::json!({"Position": "Cartographer"}),
    )
    .await;
    let first = shown(token.clone()).await;
    assert!(first.contains(&value("Cartographer")), "{first}");
    assert_eq!(shown(token.clone()).await, first);

    patch(&app, &token, serde_json::json!({"Position": "Surveyor"})).await;
    let changed = shown(token.clone()).await;
    assert!(changed.contains(&value("Surveyor")), "{changed}");
    assert!(!changed.contains("Cartographer"), "{changed}");

    // Another member with other values gets their own form.
    let theirs = shown(other.clone()).await;
    assert!(theirs.contains(&value("")), "{theirs}");
    assert!(!theirs.contains("Surveyor") && theirs.contains("Joe Bloggs"));

    // The first values again: the first page again.
    patch(
        &app,
        &token,
        serde_json::json!({"Position": "Cartographer"}),
    )
    .await;
    assert_eq!(shown(token.clone()).await, first);
    // After a save without JavaScript the same values come with the confirmation.
    let saved = page(&app, "/profile/professional?saved=1", Some(&token)).await;
    assert!(
        saved.text.contains("Your changes were saved."),
        "{}",
        saved.text
    );
    assert!(!first.contains("Your changes were saved."));
}

#[tokio::test]
async fn the_personal_page_selects_the_stored_country_and_gender() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    patch(
        &app,
        &token,
        serde_json::json!({"CountryId": 620, "Gender": "Female"}),
    )
    .await;
    let body = page(&app, "/profile", Some(&token)).await.text;
    assert!(
        body.contains(r#"<option value="620" selected>Portugal"#),
        "{body}"
    );
    assert!(
        body.contains(r#"<option value="Female" selected>"#),
        "{body}"
    );
    assert!(body.contains("Dear Ms Doe"), "salutation preview");
}

#[tokio::test]
async fn a_form_post_saves_only_what_changed_and_returns_to_the_page() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    patch(&app, &token, serde_json::json!({"Position": "Designer"})).await;
    // The page was loaded with Position "Designer"; meanwhile another client changed it.
    patch(&app, &token, serde_json::json!({"Position": "Director"})).await;
    let response = member_post(
        &app,
        "/api/fn/save_profile_page",
        &token,
        "text/html",
        "section=professional&values%5BPosition%5D=Designer&loaded%5BPosition%5D=Designer\
         &values%5BCompanyName%5D=Acme&loaded%5BCompanyName%5D=\
         &values%5BProfileWebsite%5D=www.acme.example&loaded%5BProfileWebsite%5D=",
    )
    .await;
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.text);
    assert_eq!(
        response.header("location"),
        Some("/profile/professional?saved=1")
    );
    assert_eq!(stored(&app, "position").await.as_deref(), Some("Director"));
    assert_eq!(stored(&app, "company_name").await.as_deref(), Some("Acme"));
    assert_eq!(
        stored(&app, "profile_website").await.as_deref(),
        Some("https://www.acme.example")
    );
    let again = page(&app, "/profile/professional?saved=1", Some(&token)).await;
    assert!(again.text.contains("Your changes were saved."));
}

#[tokio::test]
async fn an_unticked_switch_is_saved_as_off_without_javascript() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    patch(
        &app,
        &token,
        serde_json::json!({"SignUpToNewsletter": true}),
    )
    .await;
    let response = member_post(
        &app,
        "/api/fn/save_profile_page",
        &token,
        "text/html",
        "section=notifications&loaded%5BSignUpToNewsletter%5D=true\
         &values%5BNotifyOnBlogComments%5D=true&loaded%5BNotifyOnBlogComments%5D=false",
    )
    .await;
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.text);
    let flags: (bool, bool) = app
        .store
        .row_sql("SELECT sign_up_to_newsletter, notify_on_blog_comments FROM customer_profiles")
        .await
        .expect("row");
    assert_eq!(flags, (false, true));
}

#[tokio::test]
async fn a_refused_form_post_shows_each_error_by_its_field_and_keeps_what_was_typed() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let response = member_post(
        &app,
        "/api/fn/save_profile_page",
        &token,
        "text/html",
        "section=personal&values%5BNickName%5D=JD&values%5BDateOfBirth%5D=1800-01-01\
         &values%5BMobilePhone%5D=call+me",
    )
    .await;
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.text);
    let location = response.header("location").expect("location").to_owned();
    assert!(location.contains("__err="), "{location}");
    assert_eq!(stored(&app, "nick_name").await, None, "nothing written");

    let path = location.trim_start_matches("http://portal.test");
    let body = page(&app, path, Some(&token)).await.text;
    for needle in [
        r#"id="DateOfBirth-error""#,
        "Date of birth must be within the last 130 years.",
        r#"id="MobilePhone-error""#,
        r#"aria-invalid="true""#,
        r#"value="JD""#,
        r#"value="call me""#,
    ] {
        assert!(body.contains(needle), "{needle} missing in {body}");
    }
}

#[tokio::test]
async fn the_hydrated_page_gets_the_normalised_values_back_as_json() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let response = member_post(
        &app,
        "/api/fn/save_profile_page",
        &token,
        "application/json",
        "section=professional&values%5BTwitter%5D=https%3A%2F%2Fx.com%2Fjane_doe\
         &values%5BProfileTags%5D=rust%2C+Rust%2C+ux&loaded%5BTwitter%5D=",
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let saved = response.json();
    assert_eq!(saved["values"]["Twitter"], "jane_doe");
    assert_eq!(saved["values"]["ProfileTags"], "rust, ux");
    assert_eq!(
        saved["changed"],
        serde_json::json!(["ProfileTags", "Twitter"])
    );

    let refused = member_post(
        &app,
        "/api/fn/save_profile_page",
        &token,
        "application/json",
        "section=personal&values%5BFullName%5D=",
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.json()["Rejected"]["errors"][0]["PropertyName"],
        "FullName"
    );

    let signed_out = member_post(
        &app,
        "/api/fn/save_profile_page",
        "not-a-token",
        "application/json",
        "section=personal&values%5BNickName%5D=x",
    )
    .await;
    assert_eq!(signed_out.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_directory_lists_public_profiles_only_with_inert_bios() {
    let app = test_app().await;
    let public = app
        .sign_up("jane@example.com", PASSWORD, "Jane Public")
        .await;
    let private = app
        .sign_up("john@example.com", PASSWORD, "John Private")
        .await;
    patch(
        &app,
        &public,
        serde_json::json!({"ProfileIsPublic": true, "Github": "jane-doe",
            "ProfileSummary": "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n\
                [x](javascript:alert(3)) <a href=\"JavaScript:alert(4)\">y</a>"}),
    )
    .await;
    patch(
        &app,
        &private,
        serde_json::json!({"ProfileIsPublic": false, "Position": "Secret agent"}),
    )
    .await;
    let viewer = app.sign_up("ann@example.com", PASSWORD, "Ann Viewer").await;
    let body = page(&app, "/directory", Some(&viewer)).await.text;
    assert!(body.contains("Jane Public"), "{body}");
    assert!(body.contains(r#"href="https://github.com/jane-doe""#));
    assert!(!body.contains("John Private") && !body.contains("Secret agent"));
    let lowered = body.to_lowercase();
    assert!(
        lowered.contains(">x</a>") || lowered.contains("[x]"),
        "{body}"
    );
    for needle in [
        "<script>alert",
        "onerror",
        "href=\"javascript:",
        "href=\\\"javascript:",
    ] {
        assert!(!lowered.contains(needle), "{needle} in {body}");
    }
    let signed_out = page(&app, "/directory", None).await;
    assert_eq!(signed_out.status, StatusCode::FOUND);
}

#[tokio::test]
async fn the_security_page_lists_the_session_and_shows_only_a_number_from_its_address() {
    let app = test_app().await;
    let token = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let response = page(
        &app,
        "/profile/security?notice=others-ended&ended=2",
        Some(&token),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert!(response.text.contains("<h1>Security and privacy"));
    assert!(response.text.contains("This device"));
    assert!(response.text.contains("2 other sessions ended."));
    assert!(response.text.contains("Account created"), "the log");
    // Someone else's words in a link to the page are not shown as the portal's.
    let crafted = page(
        &app,
        "/profile/security?notice=others-ended&ended=Call+0800+to+keep+your+account",
        Some(&token),
    )
    .await;
    assert_eq!(crafted.status, StatusCode::OK);
    assert!(!crafted.text.contains("Call 0800"), "{}", crafted.text);
    assert!(crafted.text.contains("Every other session ended."));
}

#[tokio::test]
async fn a_closed_sign_up_says_so_on_the_page_before_the_form_is_filled() {
    let app = test_app().await;
    let open = page(&app, "/signup", None).await;
    assert!(
        open.text.contains(r#"action="/api/fn/sign_up""#),
        "{}",
        open.text
    );

    app.store.set_sign_up_open(false).await.expect("closed");
    // Another address: the signed-out page cache may serve "/signup" as it was for 2 s.
    let closed = page(&app, "/signup?next=/directory", None).await;
    assert_eq!(closed.status, StatusCode::OK);
    assert!(
        closed
            .text
            .contains("Sign-up is closed: the portal is not taking new members"),
        "{}",
        closed.text
    );
    assert!(
        !closed.text.contains(r#"action="/api/fn/sign_up""#),
        "{}",
        closed.text
    );
    assert!(
        !closed.text.contains(r#"name="password""#),
        "{}",
        closed.text
    );
}

#[tokio::test]
async fn a_closed_sign_up_says_so_on_the_page_without_javascript_and_creates_nothing() {
    let app = test_app().await;
    app.store.set_sign_up_open(false).await.expect("closed");
    let response = form_post(
        &app,
        "/api/fn/sign_up",
        "http://portal.test/signup",
        "email=cy%40example.com&password=a+quiet+harbour+at+dusk&full_name=Cy+Young&next=",
    )
    .await;
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.text);
    let location = response.header("location").expect("location").to_owned();
    let body = page(
        &app,
        location.trim_start_matches("http://portal.test"),
        None,
    )
    .await
    .text;
    assert!(
        body.contains("Sign-up is closed: the portal is not taking new members at the moment."),
        "{body}"
    );
    let users: i64 = app
        .store
        .scalar_sql("SELECT COUNT(*) FROM users")
        .await
        .expect("count");
    assert_eq!(users, 0);
}

/// Leptos tells resources not to load, for the whole process, while it makes a router's list of
/// routes (`SuppressResourceLoad`, leptos#4773): a resource first polled in that window never
/// resolves, and the page waiting for it never finishes. Tests build a router each while others
/// render; a server that built a second router while serving would do the same. Every render
/// here must finish while routers are built beside it.
#[test]
fn pages_finish_while_another_router_is_built() {
    const RENDERS: usize = 150;
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    };
    let app = runtime().block_on(test_app());
    let state = app.state.clone();
    let rendering = std::thread::spawn(move || {
        runtime().block_on(async {
            for round in 0..RENDERS {
                // A new address each time: the signed-out page cache would answer a repeat.
                let uri = format!("/signup?next=/directory%3Fround%3D{round}");
                let response = tokio::time::timeout(
                    std::time::Duration::from_secs(10),
                    page(&app, &uri, None),
                )
                .await
                .unwrap_or_else(|_| panic!("render {round} of {uri} never finished"));
                assert_eq!(response.status, StatusCode::OK, "{}", response.text);
            }
        })
    });
    let mut built = 0;
    while !rendering.is_finished() {
        drop(server::routes::router(state.clone()));
        built += 1;
    }
    rendering.join().expect("every render finished");
    assert!(built > 0);
}
