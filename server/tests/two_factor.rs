//! Two-factor sign-in over HTTP: setting up an authenticator app, the two-step sign-in of the
//! API and of the pages' forms, a code accepted once, recovery codes used once, the throttles,
//! and the second factor asked for by export, deletion and turning it off. Codes are computed
//! here from the enrolment's secret with `totp-rs`, not by the server's code.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use app::server::{identity::settings::SecuritySettings, settings::Limits};
use axum::body::Body;
use common::{default_security, test_app, test_app_secured, TestApp, TestResponse};
use http::{header, Method, Request, StatusCode};
use serde_json::json;
use totp_rs::{Builder, Secret};

const EMAIL: &str = "jane@example.com";
const PASSWORD: &str = "a quiet harbour at dusk";

/// What the member's app shows `offset_steps` 30-second steps from now.
fn code(secret: &str, offset_steps: i64) -> String {
    let bytes = Secret::try_from_base32(secret).expect("base32 secret");
    let totp = Builder::new().with_secret(bytes).build().expect("totp");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
    totp.generate((now + offset_steps * 30) as u64).to_string()
}

/// Signs Jane up and turns the app on; her token, the secret and the recovery codes.
async fn enrolled(app: &TestApp) -> (String, String, Vec<String>) {
    let token = app.sign_up(EMAIL, PASSWORD, "Jane Doe").await;
    let begun = app
        .call(
            Method::POST,
            "/api/account/two-factor/totp",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(begun.status, StatusCode::OK, "{}", begun.text);
    let enrolment = begun.json()["Value"].clone();
    let secret = enrolment["Secret"].as_str().expect("secret").to_owned();
    assert!(enrolment["Uri"].as_str().expect("uri").contains(&secret));
    assert!(enrolment["QrCode"]
        .as_str()
        .expect("qr")
        .starts_with("data:image/svg+xml;base64,"));
    let confirmed = app
        .call(
            Method::POST,
            "/api/account/two-factor/totp/confirm",
            Some(&token),
            Some(json!({"Code": code(&secret, 0)})),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    let codes: Vec<String> = confirmed.json()["Value"]["Codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|code| code.as_str().expect("a code").to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    (token, secret, codes)
}

/// The challenge of a sign-in whose password was right.
async fn challenge(app: &TestApp) -> String {
    let login = app.log_in(EMAIL, PASSWORD).await;
    assert_eq!(login.status, StatusCode::ACCEPTED, "{}", login.text);
    assert!(
        login.header("set-cookie").is_none(),
        "no session before the code"
    );
    let value = &login.json()["Value"];
    assert!(value.get("AccessToken").is_none());
    assert_eq!(value["Methods"], json!(["totp", "recovery_code"]));
    value["Challenge"].as_str().expect("challenge").to_owned()
}

async fn second_step(app: &TestApp, challenge: &str, code: &str) -> TestResponse {
    app.call(
        Method::POST,
        "/api/auth/login/second-factor",
        None,
        Some(json!({"Challenge": challenge, "Code": code})),
    )
    .await
}

fn field_errors(response: &TestResponse) -> Vec<String> {
    response.json()["Errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|error| error["PropertyName"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn kinds(app: &TestApp, token: &str) -> Vec<(String, String)> {
    app.security_log(token).await
}

#[tokio::test]
async fn with_the_app_on_a_token_comes_only_after_the_code_and_the_log_says_how() {
    let app = test_app().await;
    let (token, secret, _) = enrolled(&app).await;
    let status = app
        .call(Method::GET, "/api/account/two-factor", Some(&token), None)
        .await;
    assert_eq!(status.json()["Value"]["TotpEnabled"], json!(true));
    assert_eq!(status.json()["Value"]["RecoveryCodesLeft"], json!(10));

    let challenge = challenge(&app).await;
    let wrong = second_step(&app, &challenge, "000000").await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.text);
    assert_eq!(field_errors(&wrong), ["Code"]);
    let not_a_code = second_step(&app, &challenge, "12 34").await;
    assert_eq!(not_a_code.status, StatusCode::BAD_REQUEST);
    assert!(not_a_code.text.contains("6 digits"), "{}", not_a_code.text);

    // The code of the next step: the one of this step confirmed the set-up.
    let passed = second_step(&app, &challenge, &code(&secret, 1)).await;
    assert_eq!(passed.status, StatusCode::OK, "{}", passed.text);
    let new_token = passed.json()["Value"]["AccessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let me = app
        .call(Method::GET, "/login/me", Some(&new_token), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    // The challenge is used up.
    let again = second_step(&app, &challenge, &code(&secret, 1)).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.text);

    let log = kinds(&app, &new_token).await;
    assert_eq!(
        log[0],
        (
            "signed_in".into(),
            "Signed in with an authenticator code".into()
        )
    );
    assert!(
        log.iter().any(|(kind, _)| kind == "second_factor_failed"),
        "{log:?}"
    );
    assert!(
        log.iter().any(|(kind, _)| kind == "totp_enabled"),
        "{log:?}"
    );
}

#[tokio::test]
async fn an_app_code_works_once_and_so_does_each_recovery_code() {
    let app = test_app().await;
    let (token, secret, recovery) = enrolled(&app).await;
    let used = code(&secret, 1);
    let first = challenge(&app).await;
    assert_eq!(
        second_step(&app, &first, &used).await.status,
        StatusCode::OK
    );

    let replay = challenge(&app).await;
    let replayed = second_step(&app, &replay, &used).await;
    assert_eq!(
        replayed.status,
        StatusCode::BAD_REQUEST,
        "{}",
        replayed.text
    );
    assert!(replayed.text.contains("used already"), "{}", replayed.text);
    // An older step's code is refused as well: it would be a replay too.
    let older = second_step(&app, &replay, &code(&secret, 0)).await;
    assert_eq!(older.status, StatusCode::BAD_REQUEST);

    // A recovery code, typed in capitals and without its dash, works once.
    let typed = recovery[3].replace('-', "").to_uppercase();
    assert_eq!(
        second_step(&app, &replay, &typed).await.status,
        StatusCode::OK
    );
    let third = challenge(&app).await;
    assert_eq!(
        second_step(&app, &third, &recovery[3]).await.status,
        StatusCode::BAD_REQUEST
    );
    let status = app
        .call(Method::GET, "/api/account/two-factor", Some(&token), None)
        .await;
    assert_eq!(status.json()["Value"]["RecoveryCodesLeft"], json!(9));
    assert!(kinds(&app, &token)
        .await
        .contains(&("signed_in".into(), "Signed in with a recovery code".into())));
}

#[tokio::test]
async fn a_challenge_takes_five_codes_and_wrong_codes_spend_the_password_budget() {
    let app = test_app().await;
    let (_, secret, _) = enrolled(&app).await;
    let challenge_a = challenge(&app).await;
    for _ in 0..5 {
        assert_eq!(
            second_step(&app, &challenge_a, "000000").await.status,
            StatusCode::BAD_REQUEST
        );
    }
    let spent = second_step(&app, &challenge_a, &code(&secret, 1)).await;
    assert_eq!(spent.status, StatusCode::UNAUTHORIZED, "{}", spent.text);
    assert!(spent.text.contains("sign in with your password again"));

    let strict = test_app_secured(SecuritySettings {
        limits: Limits {
            sign_in_per_account: 3,
            ..Limits::default()
        },
        ..default_security()
    })
    .await;
    let (_, secret, _) = enrolled(&strict).await;
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let challenge = challenge(&strict).await;
        for _ in 0..2 {
            statuses.push(second_step(&strict, &challenge, "000000").await.status);
        }
    }
    assert_eq!(
        statuses,
        [
            StatusCode::BAD_REQUEST,
            StatusCode::BAD_REQUEST,
            StatusCode::BAD_REQUEST,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    // Even the right code waits out the window now.
    let challenge = challenge(&strict).await;
    let refused = second_step(&strict, &challenge, &code(&secret, 1)).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.header("retry-after").is_some());
}

#[tokio::test]
async fn export_deletion_and_turning_it_off_ask_for_a_code() {
    let app = test_app().await;
    let (token, secret, recovery) = enrolled(&app).await;
    let without = app
        .call(
            Method::POST,
            "/api/account/reauthenticate",
            Some(&token),
            Some(json!({"CurrentPassword": PASSWORD})),
        )
        .await;
    assert_eq!(without.status, StatusCode::BAD_REQUEST, "{}", without.text);
    assert_eq!(field_errors(&without), ["Code"]);
    let with = app
        .call(
            Method::POST,
            "/api/account/reauthenticate",
            Some(&token),
            Some(json!({"CurrentPassword": PASSWORD, "Code": code(&secret, 1)})),
        )
        .await;
    assert_eq!(with.status, StatusCode::OK, "{}", with.text);
    let export = app
        .call(Method::GET, "/api/account/export", Some(&token), None)
        .await;
    assert_eq!(export.status, StatusCode::OK);
    assert_eq!(export.json()["TwoFactor"]["TotpEnabled"], json!(true));
    assert!(
        !export.text.contains(&secret),
        "the secret is never exported"
    );

    let delete = app
        .call(
            Method::POST,
            "/api/account/delete",
            Some(&token),
            Some(json!({"CurrentPassword": PASSWORD, "Email": EMAIL})),
        )
        .await;
    assert_eq!(delete.status, StatusCode::BAD_REQUEST, "{}", delete.text);
    assert_eq!(field_errors(&delete), ["Code"]);

    let off_without_code = app
        .call(
            Method::POST,
            "/api/account/two-factor/totp/disable",
            Some(&token),
            Some(json!({"CurrentPassword": PASSWORD})),
        )
        .await;
    assert_eq!(off_without_code.status, StatusCode::BAD_REQUEST);
    let off = app
        .call(
            Method::POST,
            "/api/account/two-factor/totp/disable",
            Some(&token),
            Some(json!({"CurrentPassword": PASSWORD, "Code": recovery[0]})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    let login = app.log_in(EMAIL, PASSWORD).await;
    assert_eq!(
        login.status,
        StatusCode::OK,
        "one step again: {}",
        login.text
    );
    let log = kinds(&app, &token).await;
    assert!(
        log.iter().any(|(kind, _)| kind == "totp_disabled"),
        "{log:?}"
    );
}

#[tokio::test]
async fn new_recovery_codes_replace_the_old_ones() {
    let app = test_app().await;
    let (token, secret, old) = enrolled(&app).await;
    let regenerated = app
        .call(
            Method::POST,
            "/api/account/two-factor/recovery-codes",
            Some(&token),
            Some(json!({"CurrentPassword": PASSWORD, "Code": code(&secret, 1)})),
        )
        .await;
    assert_eq!(regenerated.status, StatusCode::OK, "{}", regenerated.text);
    let new: Vec<String> =
        serde_json::from_value(regenerated.json()["Value"]["Codes"].clone()).expect("codes");
    assert_eq!(new.len(), 10);
    let challenge_a = challenge(&app).await;
    assert_eq!(
        second_step(&app, &challenge_a, &old[0]).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        second_step(&app, &challenge_a, &new[0]).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn setting_up_needs_a_right_code_and_cannot_replace_a_factor_that_is_on() {
    let app = test_app().await;
    let token = app.sign_up(EMAIL, PASSWORD, "Jane Doe").await;
    let confirm_first = app
        .call(
            Method::POST,
            "/api/account/two-factor/totp/confirm",
            Some(&token),
            Some(json!({"Code": "123456"})),
        )
        .await;
    assert_eq!(confirm_first.status, StatusCode::BAD_REQUEST);
    assert!(confirm_first.text.contains("start setting up"));
    app.call(
        Method::POST,
        "/api/account/two-factor/totp",
        Some(&token),
        None,
    )
    .await;
    let wrong = app
        .call(
            Method::POST,
            "/api/account/two-factor/totp/confirm",
            Some(&token),
            Some(json!({"Code": "000000"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    // Still off: sign-in is one step.
    assert_eq!(app.log_in(EMAIL, PASSWORD).await.status, StatusCode::OK);

    let other = test_app().await;
    let (token, _, _) = enrolled(&other).await;
    let again = other
        .call(
            Method::POST,
            "/api/account/two-factor/totp",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.text);
    assert!(again.text.contains("on already"));
}

/// A plain HTML form post, as a browser without JavaScript sends it.
async fn form_post(app: &TestApp, uri: &str, cookie: Option<&str>, body: &str) -> TestResponse {
    let mut request = Request::post(uri)
        .header(header::HOST, "portal.test")
        .header(header::ORIGIN, "http://portal.test")
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, "http://portal.test/login/code")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    app.send(request.body(Body::from(body.to_owned())).expect("request"))
        .await
}

#[tokio::test]
async fn the_sign_in_form_asks_for_the_code_on_its_own_page_with_a_short_lived_cookie() {
    let app = test_app().await;
    let (_, secret, _) = enrolled(&app).await;
    let first = form_post(
        &app,
        "/api/fn/sign_in",
        None,
        "email=jane%40example.com&password=a+quiet+harbour+at+dusk&next=%2Fprofile%2Fbilling",
    )
    .await;
    assert_eq!(first.status, StatusCode::FOUND, "{}", first.text);
    assert_eq!(
        first.header("location"),
        Some("/login/code?next=%2Fprofile%2Fbilling")
    );
    let cookie = first
        .header("set-cookie")
        .expect("challenge cookie")
        .to_owned();
    assert!(cookie.starts_with("portal_sign_in="), "{cookie}");
    assert!(
        cookie.contains("Max-Age=300") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let challenge = cookie
        .split(';')
        .next()
        .expect("pair")
        .trim_start_matches("portal_sign_in=")
        .to_owned();

    let page = app
        .send(
            Request::get("/login/code?next=%2Fprofile%2Fbilling")
                .header(header::ACCEPT, "text/html")
                .header(header::COOKIE, format!("portal_sign_in={challenge}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("action=\"/api/fn/sign_in_code\""),
        "{}",
        page.text
    );
    assert!(page.text.contains("autocomplete=\"one-time-code\""));

    let without_cookie = form_post(&app, "/api/fn/sign_in_code", None, "code=123456&next=").await;
    assert_eq!(without_cookie.status, StatusCode::FOUND);
    assert!(without_cookie
        .header("location")
        .expect("back")
        .contains("__err="));

    let done = form_post(
        &app,
        "/api/fn/sign_in_code",
        Some(&format!("portal_sign_in={challenge}")),
        &format!("code={}&next=%2Fprofile%2Fbilling", code(&secret, 1)),
    )
    .await;
    assert_eq!(done.status, StatusCode::FOUND, "{}", done.text);
    assert_eq!(done.header("location"), Some("/profile/billing"));
    let cookies: Vec<&str> = done
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("portal_session=") && !c.starts_with("portal_session=;")),
        "{cookies:?}"
    );
    assert!(
        cookies.iter().any(|c| c.starts_with("portal_sign_in=;")),
        "{cookies:?}"
    );
}

#[tokio::test]
async fn a_password_change_asks_for_a_code_too_and_spends_it_only_when_everything_else_is_right() {
    let app = test_app().await;
    let (token, _, recovery) = enrolled(&app).await;
    let patch = |body: serde_json::Value| {
        let (app, token) = (&app, token.clone());
        async move {
            app.call(
                Method::PATCH,
                "/api/public/coworker/profile",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let new = "a brighter harbour at dawn";
    let without =
        patch(json!({"CurrentPassword": PASSWORD, "NewPassword": new, "ConfirmPassword": new}))
            .await;
    assert_eq!(without.status, StatusCode::BAD_REQUEST, "{}", without.text);
    assert_eq!(field_errors(&without), ["TwoFactorCode"]);
    // A wrong confirmation: refused before the code is looked at, so the code is not spent.
    let mismatch = patch(json!({"CurrentPassword": PASSWORD, "NewPassword": new,
        "ConfirmPassword": "something else", "TwoFactorCode": recovery[0]}))
    .await;
    assert_eq!(field_errors(&mismatch), ["ConfirmPassword"]);
    let wrong = patch(json!({"CurrentPassword": PASSWORD, "NewPassword": new,
        "ConfirmPassword": new, "TwoFactorCode": "000000"}))
    .await;
    assert_eq!(field_errors(&wrong), ["TwoFactorCode"]);
    let alone = patch(json!({"TwoFactorCode": recovery[0]})).await;
    assert_eq!(field_errors(&alone), ["TwoFactorCode"]);
    let changed = patch(json!({"CurrentPassword": PASSWORD, "NewPassword": new,
        "ConfirmPassword": new, "TwoFactorCode": recovery[0]}))
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(
        app.log_in(EMAIL, PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let login = app.log_in(EMAIL, new).await;
    assert_eq!(
        login.status,
        StatusCode::ACCEPTED,
        "still two steps: {}",
        login.text
    );
    let challenge = login.json()["Value"]["Challenge"]
        .as_str()
        .expect("challenge")
        .to_owned();
    let reused = second_step(&app, &challenge, &recovery[0]).await;
    assert_eq!(
        reused.status,
        StatusCode::BAD_REQUEST,
        "the code was spent once"
    );
}

#[tokio::test]
async fn changing_the_sign_in_address_asks_for_a_code_too() {
    let app = test_app().await;
    let (token, _, recovery) = enrolled(&app).await;
    let change = |body: serde_json::Value| {
        let (app, token) = (&app, token.clone());
        async move {
            app.call(
                Method::POST,
                "/api/auth/email/change",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let without =
        change(json!({"NewEmail": "jane@example.org", "CurrentPassword": PASSWORD})).await;
    assert_eq!(without.status, StatusCode::BAD_REQUEST, "{}", without.text);
    assert_eq!(field_errors(&without), ["Code"]);
    let with = change(
        json!({"NewEmail": "jane@example.org", "CurrentPassword": PASSWORD,
        "Code": recovery[5]}),
    )
    .await;
    assert_eq!(with.status, StatusCode::ACCEPTED, "{}", with.text);
}
