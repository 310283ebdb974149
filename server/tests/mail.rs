//! Recovery and the sign-in address by mail, end to end through the JSON API and a real SMTP
//! server: every link is taken from a message the server received.

mod common;

use common::{
    smtp::{link_token, SmtpSink},
    test_app, MAIL_ORIGIN,
};
use http::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "a quiet harbour at dusk";
const NEW_PASSWORD: &str = "a brighter harbour at dawn";

async fn post(
    app: &common::TestApp,
    uri: &str,
    token: Option<&str>,
    body: Value,
) -> common::TestResponse {
    app.call(Method::POST, uri, token, Some(body)).await
}

/// Asks for a reset link for `email`. The message is queued after the answer, so on a 202 this
/// waits until one more reset or no-account message is in the queue.
async fn forgot(app: &common::TestApp, email: &str) -> common::TestResponse {
    let before = reset_messages(app).await;
    let answer = post(
        app,
        "/api/auth/password/forgot",
        None,
        json!({ "Email": email }),
    )
    .await;
    if answer.status == StatusCode::ACCEPTED {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while reset_messages(app).await == before {
            assert!(
                std::time::Instant::now() < deadline,
                "the reset message was never queued"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
    answer
}

/// Reset links and no-account messages queued so far.
async fn reset_messages(app: &common::TestApp) -> i64 {
    app.store
        .scalar_sql("SELECT COUNT(*) FROM outgoing_mail WHERE kind LIKE 'reset_password%'")
        .await
        .expect("count")
}

fn only(messages: Vec<Value>, subject: &str) -> Value {
    let matching: Vec<Value> = messages
        .into_iter()
        .filter(|message| message["subject"] == subject)
        .collect();
    assert_eq!(matching.len(), 1, "one {subject:?} message: {matching:?}");
    matching.into_iter().next().expect("one")
}

#[tokio::test]
async fn forgot_mail_link_new_password_then_sign_in_and_the_link_works_once() {
    let smtp = SmtpSink::start();
    let app = test_app().await;
    let old_session = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;

    let asked = forgot(&app, "Jane@Example.com").await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.text);
    assert_eq!(smtp.deliver(&app.store).await.failed, 0);
    let mail = only(smtp.messages_to("jane@example.com"), "Reset your password");
    assert!(mail["html"]
        .as_str()
        .expect("html")
        .contains("Choose a new password"));
    let token = link_token(&mail, &format!("{MAIL_ORIGIN}/password/reset"));
    assert_eq!(token.len(), 43, "256 random bits, base64url: {token}");

    let weak = post(
        &app,
        "/api/auth/password/reset",
        None,
        json!({ "Token": token, "NewPassword": "short" }),
    )
    .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert_eq!(weak.json()["Errors"][0]["PropertyName"], "NewPassword");

    let reset = post(
        &app,
        "/api/auth/password/reset",
        None,
        json!({ "Token": token, "NewPassword": NEW_PASSWORD }),
    )
    .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.text);
    // Every session ended; the new password signs in, the old one does not.
    let me = app
        .call(Method::GET, "/login/me", Some(&old_session), None)
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.log_in("jane@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let signed_in = app.log_in("jane@example.com", NEW_PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::OK);
    // Following the link proved the address.
    let me = app
        .call(
            Method::GET,
            "/login/me",
            signed_in.json()["Value"]["AccessToken"].as_str(),
            None,
        )
        .await;
    assert_eq!(me.json()["Value"]["User"]["EmailVerified"], true);

    // The address is told.
    smtp.deliver(&app.store).await;
    only(
        smtp.messages_to("jane@example.com"),
        "Your password was changed",
    );

    let again = post(
        &app,
        "/api/auth/password/reset",
        None,
        json!({ "Token": token, "NewPassword": "yet another harbour at noon" }),
    )
    .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    let message = again.json()["Errors"][0]["Message"]
        .as_str()
        .expect("message")
        .to_owned();
    assert!(message.contains("used already"), "{message}");
    assert_eq!(
        app.log_in("jane@example.com", NEW_PASSWORD).await.status,
        StatusCode::OK
    );

    // Once delivered, the queue keeps no link.
    smtp.deliver(&app.store).await;
    let bodies: i64 = app
        .store
        .scalar_sql("SELECT COUNT(*) FROM outgoing_mail WHERE sent_at IS NULL OR text_body <> '' OR html_body <> ''")
        .await
        .expect("count");
    assert_eq!(bodies, 0);
}

#[tokio::test]
async fn the_answer_is_the_same_with_or_without_an_account_and_the_address_is_told_why() {
    let smtp = SmtpSink::start();
    let app = test_app().await;
    app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let known = forgot(&app, "jane@example.com").await;
    let unknown = forgot(&app, "nobody@example.com").await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.text, unknown.text);
    smtp.deliver(&app.store).await;
    let told = only(
        smtp.messages_to("nobody@example.com"),
        "Password reset requested",
    );
    assert!(told["text"]
        .as_str()
        .expect("text")
        .contains("no account uses this address"));
    assert!(!told["text"].as_str().expect("text").contains("token="));
}

#[tokio::test]
async fn an_expired_link_and_a_replaced_link_are_refused_and_say_why() {
    let smtp = SmtpSink::start();
    let app = test_app().await;
    app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    forgot(&app, "jane@example.com").await;
    forgot(&app, "jane@example.com").await;
    smtp.deliver(&app.store).await;
    let mails = smtp.messages_to("jane@example.com");
    let resets: Vec<&Value> = mails
        .iter()
        .filter(|mail| mail["subject"] == "Reset your password")
        .collect();
    assert_eq!(resets.len(), 2);
    let page = format!("{MAIL_ORIGIN}/password/reset");
    let (first, newest) = (link_token(resets[0], &page), link_token(resets[1], &page));
    let try_reset = |token: String| {
        let app = &app;
        async move {
            post(
                app,
                "/api/auth/password/reset",
                None,
                json!({ "Token": token, "NewPassword": NEW_PASSWORD }),
            )
            .await
        }
    };
    let replaced = try_reset(first).await;
    assert_eq!(replaced.status, StatusCode::BAD_REQUEST);
    assert!(
        replaced.text.contains("a newer link replaced it"),
        "{}",
        replaced.text
    );

    app.store
        .execute_sql("UPDATE account_tokens SET expires_at = 1 WHERE purpose = 'reset_password'")
        .await
        .expect("expire");
    let expired = try_reset(newest).await;
    assert_eq!(expired.status, StatusCode::BAD_REQUEST);
    assert!(expired.text.contains("has expired"), "{}", expired.text);
    assert_eq!(
        app.log_in("jane@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn reset_requests_are_throttled_per_address_whether_or_not_it_has_an_account() {
    let app = test_app().await;
    app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    for address in ["jane@example.com", "nobody@example.com"] {
        for _ in 0..5 {
            assert_eq!(forgot(&app, address).await.status, StatusCode::ACCEPTED);
        }
        let refused = forgot(&app, address).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{address}");
        assert!(refused.header("retry-after").is_some());
    }
    let malformed = forgot(&app, "not an address").await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.json()["Errors"][0]["PropertyName"], "Email");
}

#[tokio::test]
async fn sign_up_sends_a_verification_link_and_the_state_shows_in_the_session() {
    let smtp = SmtpSink::start();
    let app = test_app().await;
    let session = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let me = app
        .call(Method::GET, "/login/me", Some(&session), None)
        .await;
    assert_eq!(me.json()["Value"]["User"]["EmailVerified"], false);

    smtp.deliver(&app.store).await;
    let mail = only(
        smtp.messages_to("jane@example.com"),
        "Confirm your e-mail address",
    );
    let token = link_token(&mail, &format!("{MAIL_ORIGIN}/email/verify"));
    let verified = post(
        &app,
        "/api/auth/email/verify",
        None,
        json!({ "Token": token }),
    )
    .await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.text);
    let me = app
        .call(Method::GET, "/login/me", Some(&session), None)
        .await;
    assert_eq!(me.json()["Value"]["User"]["EmailVerified"], true);

    let resend = app
        .call(
            Method::POST,
            "/api/auth/email/verification",
            Some(&session),
            None,
        )
        .await;
    assert_eq!(resend.status, StatusCode::OK);
    assert!(resend.text.contains("verified already"));
}

#[tokio::test]
async fn a_new_verification_link_replaces_the_old_one() {
    let smtp = SmtpSink::start();
    let app = test_app().await;
    let session = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let resend = app
        .call(
            Method::POST,
            "/api/auth/email/verification",
            Some(&session),
            None,
        )
        .await;
    assert_eq!(resend.status, StatusCode::ACCEPTED, "{}", resend.text);
    smtp.deliver(&app.store).await;
    let mails = smtp.messages_to("jane@example.com");
    assert_eq!(mails.len(), 2);
    let page = format!("{MAIL_ORIGIN}/email/verify");
    let old = post(
        &app,
        "/api/auth/email/verify",
        None,
        json!({ "Token": link_token(&mails[0], &page) }),
    )
    .await;
    assert_eq!(old.status, StatusCode::BAD_REQUEST);
    let new = post(
        &app,
        "/api/auth/email/verify",
        None,
        json!({ "Token": link_token(&mails[1], &page) }),
    )
    .await;
    assert_eq!(new.status, StatusCode::OK);
}

#[tokio::test]
async fn changing_the_address_waits_for_the_new_one_and_the_old_one_can_undo_it() {
    let smtp = SmtpSink::start();
    let app = test_app().await;
    let session = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let change = |password: &'static str| {
        let (app, session) = (&app, session.clone());
        async move {
            post(
                app,
                "/api/auth/email/change",
                Some(&session),
                json!({ "NewEmail": "jane.doe@example.org", "CurrentPassword": password }),
            )
            .await
        }
    };
    let wrong = change("not my password").await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.json()["Errors"][0]["PropertyName"], "CurrentPassword");

    let asked = change(PASSWORD).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.text);
    smtp.deliver(&app.store).await;
    // Until the link is followed, sign-in stays on the old address.
    assert_eq!(
        app.log_in("jane@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.log_in("jane.doe@example.org", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let confirm = only(
        smtp.messages_to("jane.doe@example.org"),
        "Confirm your new e-mail address",
    );
    let token = link_token(&confirm, &format!("{MAIL_ORIGIN}/email/confirm"));
    let confirmed = post(
        &app,
        "/api/auth/email/change/confirm",
        None,
        json!({ "Token": token }),
    )
    .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    assert_eq!(
        app.log_in("jane.doe@example.org", PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.log_in("jane@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let me = app
        .call(Method::GET, "/login/me", Some(&session), None)
        .await;
    assert_eq!(me.json()["Value"]["User"]["Email"], "jane.doe@example.org");
    assert_eq!(me.json()["Value"]["User"]["EmailVerified"], true);

    // The old address is told, with a link that undoes the change and ends every session.
    smtp.deliver(&app.store).await;
    let told = only(
        smtp.messages_to("jane@example.com"),
        "Your sign-in address was changed",
    );
    assert!(told["text"]
        .as_str()
        .expect("text")
        .contains("jane.doe@example.org"));
    let undo = link_token(&told, &format!("{MAIL_ORIGIN}/email/undo"));
    let undone = post(
        &app,
        "/api/auth/email/change/undo",
        None,
        json!({ "Token": undo }),
    )
    .await;
    assert_eq!(undone.status, StatusCode::OK, "{}", undone.text);
    let me = app
        .call(Method::GET, "/login/me", Some(&session), None)
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "every session ended");
    assert_eq!(
        app.log_in("jane@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.log_in("jane.doe@example.org", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let reused = post(
        &app,
        "/api/auth/email/change/confirm",
        None,
        json!({ "Token": token }),
    )
    .await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_address_another_account_uses_is_refused_by_mail_to_that_address_only() {
    let smtp = SmtpSink::start();
    let app = test_app().await;
    let session = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    app.sign_up("john@example.com", PASSWORD, "John Roe").await;
    let taken = post(
        &app,
        "/api/auth/email/change",
        Some(&session),
        json!({ "NewEmail": "john@example.com", "CurrentPassword": PASSWORD }),
    )
    .await;
    let free = post(
        &app,
        "/api/auth/email/change",
        Some(&session),
        json!({ "NewEmail": "jane.doe@example.org", "CurrentPassword": PASSWORD }),
    )
    .await;
    assert_eq!(taken.status, StatusCode::ACCEPTED);
    assert_eq!(
        taken.json()["Value"]["Message"]
            .as_str()
            .map(|m| m.replace("john@example.com", "X")),
        free.json()["Value"]["Message"]
            .as_str()
            .map(|m| m.replace("jane.doe@example.org", "X")),
        "the same answer for a taken address"
    );
    smtp.deliver(&app.store).await;
    let told = only(
        smtp.messages_to("john@example.com"),
        "This address already has an account",
    );
    assert!(!told["text"].as_str().expect("text").contains("token="));
    let links: i64 = app
        .store
        .scalar_sql("SELECT COUNT(*) FROM account_tokens WHERE purpose = 'confirm_email_change' AND email = 'john@example.com'")
        .await
        .expect("count");
    assert_eq!(links, 0);
}

#[tokio::test]
async fn a_refusing_mail_server_leaves_the_message_queued_and_it_is_retried() {
    let smtp = SmtpSink::start();
    let app = test_app().await;
    app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    smtp.deliver(&app.store).await;
    smtp.refuse(true);
    assert_eq!(
        forgot(&app, "jane@example.com").await.status,
        StatusCode::ACCEPTED
    );
    let pass = smtp.deliver(&app.store).await;
    assert_eq!((pass.sent, pass.failed), (0, 1));
    let (attempts, error): (i64, String) = (
        app.store
            .scalar_sql("SELECT attempts FROM outgoing_mail WHERE kind = 'reset_password'")
            .await
            .expect("attempts"),
        app.store
            .scalar_sql("SELECT last_error FROM outgoing_mail WHERE kind = 'reset_password'")
            .await
            .expect("error"),
    );
    assert_eq!(attempts, 1);
    assert!(error.contains("550"), "{error}");
    // Not due again yet: the next pass leaves it alone.
    assert_eq!(smtp.deliver(&app.store).await.failed, 0);

    smtp.refuse(false);
    app.store
        .execute_sql("UPDATE outgoing_mail SET next_attempt_at = 0 WHERE sent_at IS NULL")
        .await
        .expect("due now");
    assert_eq!(smtp.deliver(&app.store).await.sent, 1);
    only(smtp.messages_to("jane@example.com"), "Reset your password");
}

async fn html_page(app: &common::TestApp, uri: &str) -> common::TestResponse {
    app.send(
        http::Request::get(uri)
            .header(http::header::ACCEPT, "text/html")
            .body(axum::body::Body::empty())
            .expect("request"),
    )
    .await
}

#[tokio::test]
async fn the_reset_page_takes_a_new_password_without_javascript_and_then_says_the_link_is_used() {
    let smtp = SmtpSink::start();
    let app = test_app().await;
    app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    forgot(&app, "jane@example.com").await;
    smtp.deliver(&app.store).await;
    let token = link_token(
        &only(smtp.messages_to("jane@example.com"), "Reset your password"),
        &format!("{MAIL_ORIGIN}/password/reset"),
    );
    let uri = format!("/password/reset?token={token}");
    let form = html_page(&app, &uri).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains("name=\"new_password\""), "{}", form.text);
    assert!(form.text.contains("At least 8 characters"));

    let posted = app
        .send(
            http::Request::post("/api/fn/reset_password")
                .header(http::header::HOST, "portal.test")
                .header(http::header::ORIGIN, "http://portal.test")
                .header(http::header::ACCEPT, "text/html")
                .header(http::header::REFERER, format!("http://portal.test{uri}"))
                .header(
                    http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(axum::body::Body::from(format!(
                    "token={token}&new_password=a+brighter+harbour+at+dawn"
                )))
                .expect("request"),
        )
        .await;
    assert_eq!(posted.status, StatusCode::FOUND, "{}", posted.text);
    assert_eq!(
        posted.header("location"),
        Some("/login?notice=password-reset")
    );
    assert_eq!(
        app.log_in("jane@example.com", NEW_PASSWORD).await.status,
        StatusCode::OK
    );

    let used = html_page(&app, &uri).await;
    assert!(used.text.contains("was used already"), "{}", used.text);
    assert!(used.text.contains("href=\"/password/forgot\""));
    assert!(!used.text.contains("name=\"new_password\""));
}

#[tokio::test]
async fn an_expired_link_page_says_so_and_offers_a_new_link() {
    let smtp = SmtpSink::start();
    let app = test_app().await;
    app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    smtp.deliver(&app.store).await;
    let token = link_token(
        &only(
            smtp.messages_to("jane@example.com"),
            "Confirm your e-mail address",
        ),
        &format!("{MAIL_ORIGIN}/email/verify"),
    );
    app.store
        .execute_sql("UPDATE account_tokens SET expires_at = 1")
        .await
        .expect("expire");
    let page = html_page(&app, &format!("/email/verify?token={token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("This verification link has expired."),
        "{}",
        page.text
    );
    assert!(page.text.contains("href=\"/profile/password\""));
    assert!(!page.text.contains("Confirm my address"));
}

#[tokio::test]
async fn a_password_changed_on_the_profile_tells_the_address_and_a_refused_change_does_not() {
    let smtp = SmtpSink::start();
    let app = test_app().await;
    let session = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let change = |current: &'static str| {
        let (app, session) = (&app, session.clone());
        async move {
            app.call(
                Method::PATCH,
                "/api/public/coworker/profile",
                Some(&session),
                Some(json!({
                    "CurrentPassword": current,
                    "NewPassword": NEW_PASSWORD,
                    "ConfirmPassword": NEW_PASSWORD,
                })),
            )
            .await
        }
    };
    assert_eq!(
        change("not my password").await.status,
        StatusCode::BAD_REQUEST
    );
    let changed = change(PASSWORD).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    smtp.deliver(&app.store).await;
    let notice = only(
        smtp.messages_to("jane@example.com"),
        "Your password was changed",
    );
    assert!(notice["text"]
        .as_str()
        .is_some_and(|text| text.contains("Every other device")));
    let queued: i64 = app
        .store
        .scalar_sql("SELECT COUNT(*) FROM outgoing_mail WHERE kind = 'password_changed'")
        .await
        .expect("count");
    assert_eq!(
        queued, 1,
        "only the change that was written queued a notice"
    );
}

/// The `name=value` of the device cookie a sign-in set.
fn device_cookie(response: &common::TestResponse) -> String {
    response
        .headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| !value.starts_with("portal_session="))
        .and_then(|value| value.split(';').next())
        .expect("a device cookie")
        .to_owned()
}

#[tokio::test]
async fn a_sign_in_from_a_new_browser_is_told_unless_the_member_turned_it_off() {
    let smtp = SmtpSink::start();
    let app = test_app().await;
    let session = app.sign_up("jane@example.com", PASSWORD, "Jane Doe").await;
    let notices = |smtp: &SmtpSink| {
        smtp.messages_to("jane@example.com")
            .into_iter()
            .filter(|mail| mail["subject"] == "New sign-in to your account")
            .count()
    };

    // A browser without the device cookie: told, with the browser it was.
    let first = app
        .send(
            http::Request::post("/api/auth/login")
                .header(http::header::CONTENT_TYPE, "application/json")
                .header(
                    http::header::USER_AGENT,
                    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                )
                .body(axum::body::Body::from(
                    json!({"Email": "jane@example.com", "Password": PASSWORD}).to_string(),
                ))
                .expect("request"),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    smtp.deliver(&app.store).await;
    assert_eq!(notices(&smtp), 1);
    let notice = smtp
        .messages_to("jane@example.com")
        .into_iter()
        .find(|mail| mail["subject"] == "New sign-in to your account")
        .expect("the notice");
    assert!(
        notice["text"]
            .as_str()
            .is_some_and(|text| text.contains("Firefox 133 on Linux")),
        "{notice}"
    );

    // The same browser again (it presents the device cookie the first sign-in set): not told.
    let again = app
        .send(
            http::Request::post("/api/auth/login")
                .header(http::header::CONTENT_TYPE, "application/json")
                .header(http::header::COOKIE, device_cookie(&first))
                .body(axum::body::Body::from(
                    json!({"Email": "jane@example.com", "Password": PASSWORD}).to_string(),
                ))
                .expect("request"),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    smtp.deliver(&app.store).await;
    assert_eq!(notices(&smtp), 1);

    // Turned off on the notifications page: not told, from any browser.
    let off = app
        .call(
            Method::PATCH,
            "/api/public/coworker/profile",
            Some(&session),
            Some(json!({ "NotifyOnNewSignIn": false })),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_eq!(
        app.log_in("jane@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    smtp.deliver(&app.store).await;
    assert_eq!(notices(&smtp), 1);
    // A wrong password is not a sign-in.
    assert_eq!(
        app.log_in("jane@example.com", "wrong").await.status,
        StatusCode::UNAUTHORIZED
    );
}
