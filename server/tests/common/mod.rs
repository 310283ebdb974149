//! A test server: the real router over a fresh database (SQLite, or PostgreSQL when
//! `PORTAL_TEST_POSTGRES` names a server), driven in-process.
#![allow(dead_code)] // Each test binary uses its own subset of these helpers.

pub mod binary;
pub mod smtp;

use std::sync::Arc;

use app::server::{
    identity::device::DeviceKey,
    identity::settings::SecuritySettings,
    profiles::countries::CountryList,
    profiles::drafting::{BuiltInComposer, SummaryDrafter},
    profiles::profile_writer::ProfileWriter,
    state::{AppState, Services},
    store::{scratch, Store},
    web::page_head::PageHead,
};
use axum::{body::Body, Router};
use http::{header, HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use serde_json::Value;
use server::routes::router;
use tempfile::TempDir;
use tower::ServiceExt;

pub const SESSION_TTL_SECS: i64 = 30 * 24 * 60 * 60;

pub struct TestApp {
    pub router: Router,
    /// What the router serves with, to build another router over the same app.
    pub state: AppState,
    pub store: Store,
    /// Holds the database file and the fake built site until the test ends.
    _dir: TempDir,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|_| panic!("not JSON: {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

pub async fn test_app() -> TestApp {
    test_app_drafting_with(Arc::new(BuiltInComposer)).await
}

/// The security settings of `test_app`: default limits, no trusted proxy, no public address.
pub fn default_security() -> SecuritySettings {
    SecuritySettings::with_defaults(DeviceKey::random().expect("key"))
}

/// A test server whose profile drafts come from `drafter`.
pub async fn test_app_drafting_with(drafter: Arc<dyn SummaryDrafter>) -> TestApp {
    test_app_with(drafter, default_security(), false).await
}

/// A test server with these security settings.
pub async fn test_app_secured(security: SecuritySettings) -> TestApp {
    test_app_with(Arc::new(BuiltInComposer), security, false).await
}

/// A test server whose site was built with content-hashed asset names.
pub async fn test_app_hashed() -> TestApp {
    test_app_with(Arc::new(BuiltInComposer), default_security(), true).await
}

/// A test server on a SQLite database, whatever the environment says.
pub async fn test_app_on_sqlite() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = scratch::open_sqlite(dir.path())
        .await
        .expect("database opens");
    serving(
        store,
        dir,
        Arc::new(BuiltInComposer),
        default_security(),
        false,
    )
    .await
}

/// A test server on `store`.
pub async fn test_app_over(store: Store) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    serving(
        store,
        dir,
        Arc::new(BuiltInComposer),
        default_security(),
        false,
    )
    .await
}

/// The origin of the links in the test apps' messages.
pub const MAIL_ORIGIN: &str = "http://portal.test";

async fn test_app_with(
    drafter: Arc<dyn SummaryDrafter>,
    security: SecuritySettings,
    hash_files: bool,
) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = scratch::open(dir.path()).await.expect("database opens");
    serving(store, dir, drafter, security, hash_files).await
}

async fn serving(
    store: Store,
    dir: TempDir,
    drafter: Arc<dyn SummaryDrafter>,
    security: SecuritySettings,
    hash_files: bool,
) -> TestApp {
    let site_root = dir.path().join("site");
    std::fs::create_dir_all(site_root.join("pkg")).expect("site dir");
    std::fs::write(site_root.join("pkg").join("portal.css"), "body{margin:0}").expect("css");
    let leptos_options = LeptosOptions::builder()
        .output_name("portal")
        .site_root(site_root.to_str().expect("utf-8"))
        .hash_files(hash_files)
        .build();
    let state = AppState::new(Services {
        page_head: Arc::new(PageHead::render(&leptos_options)),
        countries: CountryList::default(),
        directory: Default::default(),
        leptos_options,
        profile_writer: ProfileWriter::start(&store).await.expect("writer starts"),
        store: store.clone(),
        session_ttl_secs: SESSION_TTL_SECS,
        drafter,
        security: Arc::new(security),
        mail: app::server::mail::MailQueue::new(MAIL_ORIGIN),
    });
    TestApp {
        router: router(state.clone()),
        state,
        store,
        _dir: dir,
    }
}

impl TestApp {
    /// The built site the server serves files from.
    pub fn site_root(&self) -> std::path::PathBuf {
        self._dir.path().join("site")
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        TestResponse {
            status,
            headers,
            text: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub async fn get(&self, uri: &str) -> TestResponse {
        self.send(Request::get(uri).body(Body::empty()).expect("request"))
            .await
    }

    /// The security log of the member of `token`, newest first: `(Kind, Description)` pairs.
    #[allow(dead_code)]
    pub async fn security_log(&self, token: &str) -> Vec<(String, String)> {
        let log = self
            .call(Method::GET, "/api/account/security-log", Some(token), None)
            .await;
        log.json()["Value"]["Entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|entry| {
                let text = |name: &str| entry[name].as_str().unwrap_or_default().to_owned();
                (text("Kind"), text("Description"))
            })
            .collect()
    }

    /// A request with an optional bearer token and an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> TestResponse {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).expect("request")).await
    }

    /// Signs a new member up and returns their token.
    pub async fn sign_up(&self, email: &str, password: &str, full_name: &str) -> String {
        let response = self
            .call(
                Method::POST,
                "/api/auth/signup",
                None,
                Some(serde_json::json!({"Email": email, "Password": password, "FullName": full_name})),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
        response.json()["Value"]["AccessToken"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    pub async fn log_in(&self, email: &str, password: &str) -> TestResponse {
        self.call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(serde_json::json!({"Email": email, "Password": password})),
        )
        .await
    }
}
