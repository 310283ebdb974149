//! The real router, driven in-process with `tower::ServiceExt::oneshot` against a fresh database.

mod common;

use common::{test_app, TestApp};
use http::StatusCode;

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
    assert!(body.contains("/pkg/portal.js"), "hydration script missing");
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

#[tokio::test]
async fn health_reports_the_database_as_reachable() {
    let app = test_app().await;
    let (status, content_type, body) = get(&app, "/api/health").await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(json, serde_json::json!({"Status": "ok", "Database": "ok"}));
}
