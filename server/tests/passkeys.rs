//! Passkeys over HTTP: registering one (password first), signing in with it alone, using it as
//! a sign-in's second step, and what is refused: a replayed or foreign answer, another site's
//! origin, a removed passkey. The authenticator is a small software one written here (P-256
//! keys from the `p256` crate, "none" attestation, CBOR by hand), so the server's real WebAuthn
//! checks run against signatures it did not make itself.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use common::{default_security, test_app_secured, TestApp, TestResponse};
use http::{header, Method, Request, StatusCode};
use p256::ecdsa::{signature::Signer, Signature, SigningKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Secret};

const EMAIL: &str = "jane@example.com";
const PASSWORD: &str = "a quiet harbour at dusk";
const SITE: &str = "https://portal.example";

async fn app() -> TestApp {
    let mut security = default_security();
    security.public_origin = Some(SITE.to_owned());
    test_app_secured(security).await
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("base64url")
}

/// CBOR's head of a major type with a length (below 65,536).
fn cbor_head(major: u8, len: usize) -> Vec<u8> {
    let major = major << 5;
    match len {
        0..=23 => vec![major | len as u8],
        24..=255 => vec![major | 24, len as u8],
        _ => vec![major | 25, (len >> 8) as u8, len as u8],
    }
}

fn cbor_text(text: &str) -> Vec<u8> {
    [cbor_head(3, text.len()), text.as_bytes().to_vec()].concat()
}

fn cbor_bytes(bytes: &[u8]) -> Vec<u8> {
    [cbor_head(2, bytes.len()), bytes.to_vec()].concat()
}

/// A passkey on a software authenticator: one P-256 key, its credential id, its counter and the
/// user handle it was made for.
struct SoftPasskey {
    key: SigningKey,
    credential_id: Vec<u8>,
    user_handle: Vec<u8>,
    counter: u32,
}

impl SoftPasskey {
    fn new(seed: u8) -> Self {
        SoftPasskey {
            key: SigningKey::from_slice(&[seed; 32]).expect("a valid scalar"),
            credential_id: vec![seed; 16],
            user_handle: Vec::new(),
            counter: 0,
        }
    }

    fn client_data(kind: &str, options: &Value, origin: &str) -> Vec<u8> {
        json!({
            "type": kind,
            "challenge": options["publicKey"]["challenge"],
            "origin": origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }

    /// `navigator.credentials.create()`: the answer to registration options, as the browser
    /// sends it (JSON, base64url fields).
    fn create(&mut self, options: &Value, origin: &str) -> Value {
        let rp_id = options["publicKey"]["rp"]["id"].as_str().expect("rp id");
        self.user_handle = unb64(
            options["publicKey"]["user"]["id"]
                .as_str()
                .expect("user id"),
        );
        let point = self.key.verifying_key().to_sec1_point(false);
        let point = point.as_bytes();
        let cose_key = [
            vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01],
            vec![0x21],
            cbor_bytes(&point[1..33]),
            vec![0x22],
            cbor_bytes(&point[33..65]),
        ]
        .concat();
        let auth_data = [
            Sha256::digest(rp_id.as_bytes()).to_vec(),
            // User present, user verified, attested credential data included.
            vec![0x45],
            self.counter.to_be_bytes().to_vec(),
            vec![0; 16],
            (self.credential_id.len() as u16).to_be_bytes().to_vec(),
            self.credential_id.clone(),
            cose_key,
        ]
        .concat();
        let attestation = [
            cbor_head(5, 3),
            cbor_text("fmt"),
            cbor_text("none"),
            cbor_text("attStmt"),
            cbor_head(5, 0),
            cbor_text("authData"),
            cbor_bytes(&auth_data),
        ]
        .concat();
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&attestation),
                "clientDataJSON": b64(&Self::client_data("webauthn.create", options, origin)),
            },
            "extensions": {},
        })
    }

    /// `navigator.credentials.get()`: a signed assertion for request options.
    fn get(&mut self, options: &Value, origin: &str, rp_id: &str) -> Value {
        self.counter += 1;
        let auth_data = [
            Sha256::digest(rp_id.as_bytes()).to_vec(),
            vec![0x05],
            self.counter.to_be_bytes().to_vec(),
        ]
        .concat();
        let client_data = Self::client_data("webauthn.get", options, origin);
        let signed = [auth_data.clone(), Sha256::digest(&client_data).to_vec()].concat();
        let signature: Signature = self.key.sign(&signed);
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(signature.to_der().as_bytes()),
                "userHandle": b64(&self.user_handle),
            },
            "extensions": {},
        })
    }
}

fn value(response: &TestResponse) -> Value {
    response.json()["Value"].clone()
}

/// Registers `passkey` as `name` for the member of `token`.
async fn register(app: &TestApp, token: &str, passkey: &mut SoftPasskey, name: &str) -> Value {
    let started = app
        .call(
            Method::POST,
            "/api/account/passkeys/start",
            Some(token),
            Some(json!({"Name": name, "CurrentPassword": PASSWORD})),
        )
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text);
    let started = value(&started);
    let options = &started["Options"];
    assert_eq!(options["publicKey"]["rp"]["id"], json!("portal.example"));
    assert_eq!(
        options["publicKey"]["authenticatorSelection"]["residentKey"],
        json!("required"),
        "a discoverable credential, for signing in without an address"
    );
    let finished = app
        .call(
            Method::POST,
            "/api/account/passkeys",
            Some(token),
            Some(json!({"Ceremony": started["Ceremony"], "Credential": passkey.create(options, SITE)})),
        )
        .await;
    assert_eq!(finished.status, StatusCode::CREATED, "{}", finished.text);
    value(&finished)
}

async fn start_sign_in(app: &TestApp) -> Value {
    let started = app
        .call(Method::POST, "/api/auth/passkey/start", None, None)
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text);
    value(&started)
}

async fn finish_sign_in(app: &TestApp, ceremony: &Value, credential: Value) -> TestResponse {
    app.call(
        Method::POST,
        "/api/auth/passkey",
        None,
        Some(json!({"Ceremony": ceremony, "Credential": credential})),
    )
    .await
}

async fn log_kinds(app: &TestApp, token: &str) -> Vec<(String, String)> {
    app.security_log(token).await
}

#[tokio::test]
async fn a_registered_passkey_signs_in_alone_and_each_answer_works_once() {
    let app = app().await;
    let token = app.sign_up(EMAIL, PASSWORD, "Jane Doe").await;
    let mut passkey = SoftPasskey::new(7);
    let added = register(&app, &token, &mut passkey, "  Laptop ").await;
    assert_eq!(added["Name"], json!("Laptop"));
    let list = app
        .call(Method::GET, "/api/account/passkeys", Some(&token), None)
        .await;
    assert_eq!(value(&list).as_array().map(Vec::len), Some(1));
    assert_eq!(value(&list)[0]["LastUsedAt"], Value::Null);

    let started = start_sign_in(&app).await;
    assert!(
        started["Options"]["publicKey"]
            .get("allowCredentials")
            .is_none_or(|allowed| allowed.as_array().is_some_and(Vec::is_empty)),
        "a discoverable sign-in names no credential: {}",
        started["Options"]
    );
    let answer = passkey.get(&started["Options"], SITE, "portal.example");
    let signed_in = finish_sign_in(&app, &started["Ceremony"], answer.clone()).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    let new_token = value(&signed_in)["AccessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let me = app
        .call(Method::GET, "/login/me", Some(&new_token), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.text.contains(EMAIL), "{}", me.text);

    // The same answer again: its ceremony is used up.
    let replayed = finish_sign_in(&app, &started["Ceremony"], answer).await;
    assert_eq!(
        replayed.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        replayed.text
    );

    let list = app
        .call(Method::GET, "/api/account/passkeys", Some(&token), None)
        .await;
    assert!(value(&list)[0]["LastUsedAt"].is_i64(), "{}", list.text);
    let log = log_kinds(&app, &new_token).await;
    assert_eq!(
        log[0],
        ("signed_in".into(), "Signed in with a passkey".into())
    );
    assert!(log.contains(&("passkey_added".into(), "Passkey added: Laptop".into())));

    // The data export lists it by name, without its key.
    let confirmed = app
        .call(
            Method::POST,
            "/api/account/reauthenticate",
            Some(&token),
            Some(json!({"CurrentPassword": PASSWORD})),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    let export = app
        .call(Method::GET, "/api/account/export", Some(&token), None)
        .await;
    assert_eq!(export.json()["Passkeys"][0]["Name"], json!("Laptop"));
    assert!(
        !export.text.contains(&b64(&passkey.credential_id)),
        "no credential material in the export"
    );
}

#[tokio::test]
async fn answers_for_another_site_or_an_unknown_key_are_refused() {
    let app = app().await;
    let token = app.sign_up(EMAIL, PASSWORD, "Jane Doe").await;
    let mut passkey = SoftPasskey::new(9);
    register(&app, &token, &mut passkey, "Phone").await;

    // A phishing page relaying the ceremony: the browser writes its own origin.
    let started = start_sign_in(&app).await;
    let phished = passkey.get(
        &started["Options"],
        "https://portal-example.evil",
        "portal.example",
    );
    let refused = finish_sign_in(&app, &started["Ceremony"], phished).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text);

    // A key this site never registered, claiming Jane's handle.
    let mut stranger = SoftPasskey::new(11);
    stranger.user_handle = passkey.user_handle.clone();
    let started = start_sign_in(&app).await;
    let refused = finish_sign_in(
        &app,
        &started["Ceremony"],
        stranger.get(&started["Options"], SITE, "portal.example"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text);

    // Jane's credential id with another key's signature.
    let mut forger = SoftPasskey::new(13);
    forger.credential_id = passkey.credential_id.clone();
    forger.user_handle = passkey.user_handle.clone();
    let started = start_sign_in(&app).await;
    let refused = finish_sign_in(
        &app,
        &started["Ceremony"],
        forger.get(&started["Options"], SITE, "portal.example"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text);

    // Not a credential at all: a field error, not a 500.
    let started = start_sign_in(&app).await;
    let garbage = finish_sign_in(&app, &started["Ceremony"], json!({"id": 3})).await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST, "{}", garbage.text);
    assert!(garbage.text.contains("Credential"), "{}", garbage.text);
}

#[tokio::test]
async fn registering_needs_the_password_and_a_good_name_and_removal_ends_the_passkey() {
    let app = app().await;
    let token = app.sign_up(EMAIL, PASSWORD, "Jane Doe").await;
    let start = |body: Value| {
        let app = &app;
        let token = token.clone();
        async move {
            app.call(
                Method::POST,
                "/api/account/passkeys/start",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let wrong = start(json!({"Name": "Laptop", "CurrentPassword": "not it at all"})).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.text);
    assert!(wrong.text.contains("CurrentPassword"), "{}", wrong.text);
    let unnamed = start(json!({"Name": "  ", "CurrentPassword": PASSWORD})).await;
    assert_eq!(unnamed.status, StatusCode::BAD_REQUEST);
    assert!(unnamed.text.contains("\"Name\""), "{}", unnamed.text);
    let long = start(json!({"Name": "x".repeat(61), "CurrentPassword": PASSWORD})).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST);
    assert!(long.text.contains("60 characters"), "{}", long.text);

    let mut passkey = SoftPasskey::new(21);
    let added = register(&app, &token, &mut passkey, "Laptop").await;
    // The same authenticator again is refused: it is registered already.
    let again = start(json!({"Name": "Laptop again", "CurrentPassword": PASSWORD})).await;
    let again = value(&again);
    let excluded = again["Options"]["publicKey"]["excludeCredentials"]
        .as_array()
        .expect("excluded")
        .len();
    assert_eq!(excluded, 1);
    let duplicate = app
        .call(
            Method::POST,
            "/api/account/passkeys",
            Some(&token),
            Some(json!({"Ceremony": again["Ceremony"], "Credential": passkey.create(&again["Options"], SITE)})),
        )
        .await;
    assert_eq!(
        duplicate.status,
        StatusCode::BAD_REQUEST,
        "{}",
        duplicate.text
    );

    let id = added["Id"].as_i64().expect("id");
    let other = app.sign_up("kim@example.com", PASSWORD, "Kim Lee").await;
    let not_theirs = app
        .call(
            Method::DELETE,
            &format!("/api/account/passkeys/{id}"),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(not_theirs.status, StatusCode::NOT_FOUND);
    let removed = app
        .call(
            Method::DELETE,
            &format!("/api/account/passkeys/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
    let started = start_sign_in(&app).await;
    let refused = finish_sign_in(
        &app,
        &started["Ceremony"],
        passkey.get(&started["Options"], SITE, "portal.example"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text);
    assert!(log_kinds(&app, &token)
        .await
        .contains(&("passkey_removed".into(), "Passkey removed: Laptop".into())));
}

fn totp_code(secret: &str) -> String {
    let bytes = Secret::try_from_base32(secret).expect("base32 secret");
    let totp = Builder::new().with_secret(bytes).build().expect("totp");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("time")
        .as_secs();
    totp.generate(now).to_string()
}

#[tokio::test]
async fn with_the_app_on_a_passkey_stands_in_for_the_code_from_the_api_and_the_page_cookie() {
    let app = app().await;
    let token = app.sign_up(EMAIL, PASSWORD, "Jane Doe").await;
    let mut passkey = SoftPasskey::new(31);
    register(&app, &token, &mut passkey, "Key").await;
    let begun = app
        .call(
            Method::POST,
            "/api/account/two-factor/totp",
            Some(&token),
            None,
        )
        .await;
    let secret = value(&begun)["Secret"].as_str().expect("secret").to_owned();
    let confirmed = app
        .call(
            Method::POST,
            "/api/account/two-factor/totp/confirm",
            Some(&token),
            Some(json!({"Code": totp_code(&secret)})),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);

    // The API: the challenge in the body.
    let login = app.log_in(EMAIL, PASSWORD).await;
    assert_eq!(login.status, StatusCode::ACCEPTED, "{}", login.text);
    let challenge = value(&login)["Challenge"]
        .as_str()
        .expect("challenge")
        .to_owned();
    assert_eq!(
        value(&login)["Methods"],
        json!(["totp", "recovery_code", "passkey"])
    );
    let started = app
        .call(
            Method::POST,
            "/api/auth/login/second-factor/passkey/start",
            None,
            Some(json!({"Challenge": challenge})),
        )
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text);
    let started = value(&started);
    let allowed = started["Options"]["publicKey"]["allowCredentials"]
        .as_array()
        .expect("allowed")
        .len();
    assert_eq!(allowed, 1, "the member's own passkeys only");
    let step = json!({
        "Challenge": challenge,
        "Ceremony": started["Ceremony"],
        "Credential": passkey.get(&started["Options"], SITE, "portal.example"),
    });
    let passed = app
        .call(
            Method::POST,
            "/api/auth/login/second-factor/passkey",
            None,
            Some(step.clone()),
        )
        .await;
    assert_eq!(passed.status, StatusCode::OK, "{}", passed.text);
    let again = app
        .call(
            Method::POST,
            "/api/auth/login/second-factor/passkey",
            None,
            Some(step),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.text);
    let new_token = value(&passed)["AccessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(
        log_kinds(&app, &new_token).await[0],
        (
            "signed_in".into(),
            "Signed in with password and passkey".into()
        )
    );

    // The page: the challenge is the sign-in form's cookie, the body names none.
    let login = app.log_in(EMAIL, PASSWORD).await;
    let challenge = value(&login)["Challenge"]
        .as_str()
        .expect("challenge")
        .to_owned();
    let cookie = format!("portal_sign_in={challenge}");
    let page_call = |uri: &'static str, body: Value| {
        let request = Request::post(uri)
            .header(header::HOST, "portal.example")
            .header("sec-fetch-site", "same-origin")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, cookie.clone())
            .body(Body::from(body.to_string()))
            .expect("request");
        app.send(request)
    };
    let started = page_call("/api/auth/login/second-factor/passkey/start", json!({})).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text);
    let started = value(&started);
    let passed = page_call(
        "/api/auth/login/second-factor/passkey",
        json!({
            "Ceremony": started["Ceremony"],
            "Credential": passkey.get(&started["Options"], SITE, "portal.example"),
        }),
    )
    .await;
    assert_eq!(passed.status, StatusCode::OK, "{}", passed.text);
    let cookies: Vec<&str> = passed
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|cookie| cookie.starts_with("portal_session=")),
        "{cookies:?}"
    );
    assert!(
        cookies
            .iter()
            .any(|cookie| cookie.starts_with("portal_sign_in=;") && cookie.contains("Max-Age=0")),
        "the challenge cookie is cleared: {cookies:?}"
    );
}

#[tokio::test]
async fn without_public_url_the_host_names_the_site_and_an_ip_address_cannot() {
    let app = test_app_secured(default_security()).await;
    let by_ip = app
        .send(
            Request::post("/api/auth/passkey/start")
                .header(header::HOST, "127.0.0.1:3000")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(by_ip.status, StatusCode::FORBIDDEN, "{}", by_ip.text);
    assert!(by_ip.text.contains("PUBLIC_URL"), "{}", by_ip.text);
    let by_name = app
        .send(
            Request::post("/api/auth/passkey/start")
                .header(header::HOST, "localhost:3000")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(by_name.status, StatusCode::OK, "{}", by_name.text);
    assert_eq!(
        value(&by_name)["Options"]["publicKey"]["rpId"],
        json!("localhost")
    );
}
