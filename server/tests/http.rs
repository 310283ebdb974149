//! The real router, driven in-process with `tower::ServiceExt::oneshot` against a fresh database.

mod common;

use axum::body::Body;
use common::{test_app, TestApp};
use http::{header, Request, StatusCode};

async fn get(app: &TestApp, uri: &str) -> (StatusCode, Option<String>, String) {
    let response = app.get(uri).await;
    let content_type = response.header("content-type").map(str::to_owned);
    (response.status, content_type, response.text)
}

#[tokio::test]
async fn the_start_page_renders_the_shell_with_navigation_to_every_profile_page() {
    let app = test_app().await;
    let (status, content_type, body) = get(&app, "/").await;

    assert_eq!(status, StatusCode::OK);
    assert!(content_type.unwrap_or_default().starts_with("text/html"));
    for path in [
        "/profile",
        "/profile/professional",
        "/profile/billing",
        "/profile/notifications",
        "/profile/password",
    ] {
        assert!(
            body.contains(&format!("href=\"{path}\"")),
            "no link to {path}"
        );
    }
    // The islands' loader, named with the script and wasm it imports (root, pkg dir, names).
    assert!(
        body.contains(r#"<script type="module""#)
            && body.contains(r#"("", "pkg", "portal", "portal"#),
        "hydration script missing: {body}"
    );
    assert!(
        !body.contains("preload"),
        "preloads come before the first paint"
    );
    assert!(body.contains("/pkg/portal.css"), "stylesheet missing");
}

#[tokio::test]
async fn an_unknown_path_is_a_404_page_inside_the_layout() {
    let app = test_app().await;
    let (status, content_type, body) = get(&app, "/no/such/page").await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(content_type.unwrap_or_default().starts_with("text/html"));
    assert!(body.contains("Page not found"));
    assert!(
        body.contains("href=\"/profile\""),
        "layout navigation missing"
    );
}

#[tokio::test]
async fn static_files_of_the_built_site_are_served() {
    let app = test_app().await;
    let (status, content_type, body) = get(&app, "/pkg/portal.css").await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type.as_deref(), Some("text/css"));
    assert_eq!(body, "body{margin:0}");
}

/// A GET that accepts `encoding`.
async fn get_encoded(app: &TestApp, uri: &str, encoding: &str) -> common::TestResponse {
    app.send(
        Request::get(uri)
            .header(header::ACCEPT_ENCODING, encoding)
            .body(Body::empty())
            .expect("request"),
    )
    .await
}

#[tokio::test]
async fn hashed_assets_go_out_precompressed_and_cacheable_for_a_year() {
    let app = common::test_app_hashed().await;
    let pkg = app.site_root().join("pkg");
    std::fs::write(pkg.join("portal.0a1b2c.wasm"), vec![7u8; 4096]).expect("wasm");
    std::fs::write(pkg.join("portal.0a1b2c.wasm.br"), b"brotli bytes").expect("br");
    std::fs::write(pkg.join("portal.0a1b2c.wasm.gz"), b"gzip bytes").expect("gz");

    let br = get_encoded(&app, "/pkg/portal.0a1b2c.wasm", "gzip, deflate, br").await;
    assert_eq!(br.status, StatusCode::OK);
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert_eq!(br.text, "brotli bytes");
    assert_eq!(
        br.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(
        br.header("vary")
            .is_some_and(|vary| vary.to_ascii_lowercase().contains("accept-encoding")),
        "{:?}",
        br.header("vary")
    );
    let gzip = get_encoded(&app, "/pkg/portal.0a1b2c.wasm", "gzip").await;
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert_eq!(gzip.text, "gzip bytes");
    let plain = get_encoded(&app, "/pkg/portal.0a1b2c.wasm", "identity").await;
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.text.len(), 4096);

    let missing = get_encoded(&app, "/pkg/portal.ffffff.wasm", "br").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing.header("cache-control"),
        None,
        "a 404 is not kept for a year"
    );
}

#[tokio::test]
async fn without_hashed_names_files_are_revalidated() {
    let app = test_app().await;
    let response = get_encoded(&app, "/pkg/portal.css", "identity").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("cache-control"), Some("no-cache"));
}

#[tokio::test]
async fn a_revalidated_file_that_did_not_change_is_not_sent_again() {
    let app = test_app().await;
    let first = get_encoded(&app, "/pkg/portal.css", "identity").await;
    let modified = first
        .header("last-modified")
        .expect("Last-Modified")
        .to_owned();
    let again = app
        .send(
            Request::get("/pkg/portal.css")
                .header(header::IF_MODIFIED_SINCE, modified)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.text.is_empty());
}

#[tokio::test]
async fn pages_and_json_are_compressed_for_clients_that_accept_it() {
    let app = test_app().await;
    let page = get_encoded(&app, "/login", "br").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("content-encoding"), Some("br"));
    assert!(page.header("vary").is_some());
    let json = get_encoded(&app, "/api/public/countries", "gzip").await;
    assert_eq!(json.header("content-encoding"), Some("gzip"));
    let raw = app.get("/api/public/countries").await;
    assert_eq!(raw.header("content-encoding"), None);
    assert!(raw.text.contains("\"Countries\""));
}

#[tokio::test]
async fn health_reports_the_database_as_reachable() {
    let app = test_app().await;
    let (status, content_type, body) = get(&app, "/api/health").await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(json, serde_json::json!({"Status": "ok", "Database": "ok"}));
}

#[tokio::test]
async fn pages_allow_only_their_own_nonced_scripts_and_nothing_can_frame_them() {
    let app = test_app().await;
    for uri in ["/", "/login", "/no/such/page"] {
        let page = app.get(uri).await;
        let policy = page
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{uri} has no CSP"))
            .to_owned();
        assert!(policy.contains("frame-ancestors 'none'"), "{uri}: {policy}");
        assert!(!policy.contains("unsafe-inline"), "{uri}: {policy}");
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("{uri}: no nonce in {policy}"));
        assert!(nonce.len() >= 16, "{uri}: {nonce}");
        // Every script of the page carries it.
        let scripts = page.text.matches("<script").count();
        assert!(scripts > 0, "{uri} has no hydration script");
        assert_eq!(
            page.text.matches(&format!("nonce=\"{nonce}\"")).count(),
            scripts,
            "{uri}: {}",
            page.text
        );
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(
            page.header("referrer-policy"),
            Some("strict-origin-when-cross-origin")
        );
    }
    let first = app
        .get("/")
        .await
        .header("content-security-policy")
        .map(str::to_owned);
    let second = app
        .get("/")
        .await
        .header("content-security-policy")
        .map(str::to_owned);
    assert_ne!(first, second, "a fresh nonce for every response");
}

#[tokio::test]
async fn other_responses_may_run_nothing() {
    let app = test_app().await;
    for uri in [
        "/api/health",
        "/api/public/countries",
        "/pkg/portal.css",
        "/login/me",
    ] {
        let response = app.get(uri).await;
        assert_eq!(
            response.header("content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'"),
            "{uri}"
        );
        assert_eq!(
            response.header("x-content-type-options"),
            Some("nosniff"),
            "{uri}"
        );
    }
}
