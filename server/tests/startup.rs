//! The server binary as an operator runs it: start-up, failures that end it, graceful shutdown.

mod common;

use std::{
    path::Path,
    process::{Command, Output, Stdio},
};

use common::binary::{
    assert_one_line_error, http_get, run_to_exit, server_command, terminate, Running, SERVER,
};

fn start(database: &Path) -> Running {
    common::binary::start(server_command(
        database.to_str().expect("utf-8"),
        "127.0.0.1:0",
    ))
}

#[test]
fn serves_on_the_given_address_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("portal.db");
    let server = start(&database);

    let response = http_get(&server.address, "/api/health");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(database.exists(), "database file created on first start");

    let output = terminate(server.child);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let rest: Vec<String> = server.log.iter().collect();
    assert!(
        rest.iter().any(|line| line.contains("shut down cleanly")),
        "{rest:?}"
    );
}

#[test]
fn an_unwritable_database_path_ends_with_a_one_line_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("no-such-dir").join("portal.db");
    let output = run_to_exit(server_command(
        database.to_str().expect("utf-8"),
        "127.0.0.1:0",
    ));
    assert_one_line_error(&output, "cannot open the database");
}

#[test]
fn a_failing_migration_ends_with_a_one_line_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("portal.db");
    let url = database.to_str().expect("utf-8");
    // A first start applies the migrations; then one of them is recorded with another checksum,
    // as if its file had been edited after it ran.
    let server = start(&database);
    assert_eq!(terminate(server.child).status.code(), Some(0));
    tamper_first_migration_checksum(url);

    let output = run_to_exit(server_command(url, "127.0.0.1:0"));
    assert_one_line_error(&output, "cannot apply the database migrations");
}

fn tamper_first_migration_checksum(database: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let store = app::server::store::Store::open(database)
            .await
            .expect("opens");
        store
            .execute_sql(
                "UPDATE _sqlx_migrations SET checksum = X'00' \
                 WHERE version = (SELECT MIN(version) FROM _sqlx_migrations)",
            )
            .await
            .expect("tampered");
        store.close().await;
    });
}

#[test]
fn a_malformed_site_address_ends_with_a_one_line_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("portal.db");
    let output = run_to_exit(server_command(
        database.to_str().expect("utf-8"),
        "localhost",
    ));
    assert_one_line_error(&output, "LEPTOS_SITE_ADDR");
}

fn cli(args: &[&str]) -> Output {
    let mut command = Command::new(SERVER);
    command
        .args(args)
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    run_to_exit(command)
}

#[test]
fn help_and_version_answer_and_exit_without_serving() {
    let help = cli(&["--help"]);
    assert!(help.status.success(), "{help:?}");
    let text = String::from_utf8_lossy(&help.stdout);
    for needle in [
        "Usage: server [COMMAND]",
        "openapi",
        "copy-database",
        "DATABASE_URL",
        "--version",
    ] {
        assert!(text.contains(needle), "{needle} missing from: {text}");
    }
    let copy_help = cli(&["copy-database", "--help"]);
    assert!(String::from_utf8_lossy(&copy_help.stdout).contains("<FROM> <TO>"));

    let version = cli(&["--version"]);
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("server {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_wrong_argument_names_itself_and_exits_2() {
    let wrong = cli(&["--bogus"]);
    assert_eq!(wrong.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        stderr.starts_with("error: unexpected argument '--bogus'"),
        "{stderr}"
    );
    let missing = cli(&["copy-database", "sqlite://only-one.db"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("<TO>"));
}

/// The JSON log lines `server` printed after its address, until one satisfies `until`.
fn json_lines_until(
    server: &Running,
    until: impl Fn(&serde_json::Value) -> bool,
) -> Vec<serde_json::Value> {
    let mut lines = Vec::new();
    while let Ok(line) = server.log.recv_timeout(std::time::Duration::from_secs(10)) {
        let value: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("not one JSON object: {line}"));
        let done = until(&value);
        lines.push(value);
        if done {
            return lines;
        }
    }
    panic!("the awaited line never came; got {lines:?}");
}

#[test]
fn json_logs_have_an_access_line_per_request_with_the_proxys_request_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("portal.db");
    let mut command = server_command(database.to_str().expect("utf-8"), "127.0.0.1:0");
    command
        .env("LOG_FORMAT", "json")
        .env("TRUSTED_PROXIES", "127.0.0.1");
    let server = common::binary::start(command);
    let is_access = |line: &serde_json::Value| line["target"] == "access";

    // From a trusted proxy: its id and its client are believed.
    let response = common::binary::http(
        &server.address,
        "GET",
        "/api/health?token=secret",
        &[
            ("X-Request-Id", "lb-0001"),
            ("X-Forwarded-For", "203.0.113.9"),
        ],
        "",
    );
    assert!(
        response
            .to_ascii_lowercase()
            .contains("x-request-id: lb-0001\r\n"),
        "{response}"
    );
    let lines = json_lines_until(&server, is_access);
    let access = lines.last().expect("access line");
    let fields = &access["fields"];
    assert_eq!(access["level"], "INFO", "{access}");
    assert_eq!(access["span"]["request_id"], "lb-0001", "{access}");
    assert_eq!(
        (
            &fields["method"],
            &fields["route"],
            &fields["path"],
            &fields["status"],
            &fields["client"]
        ),
        (
            &"GET".into(),
            &"/api/health".into(),
            &"/api/health".into(),
            &200.into(),
            &"203.0.113.9".into()
        ),
        "{access}"
    );
    assert!(fields["latency_ms"].as_f64().is_some(), "{access}");
    assert!(!access.to_string().contains("secret"), "{access}");

    // A page of a route the router does not have: 404, logged with the generated id it was sent.
    let response = http_get(&server.address, "/no-such-page");
    let sent_id = response
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("x-request-id: ")
                .map(str::to_owned)
        })
        .expect("an id is sent back");
    let lines = json_lines_until(&server, is_access);
    let access = lines.last().expect("access line");
    assert_eq!(access["fields"]["status"], 404, "{access}");
    assert_eq!(access["span"]["request_id"], sent_id.trim(), "{access}");
    terminate(server.child);
}

#[test]
fn a_request_id_from_a_client_that_is_no_trusted_proxy_is_replaced() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("portal.db");
    let server = start(&database);
    let response = common::binary::http(
        &server.address,
        "GET",
        "/api/health",
        &[("X-Request-Id", "forged-by-client")],
        "",
    );
    let lower = response.to_ascii_lowercase();
    assert!(lower.contains("x-request-id: "), "{response}");
    assert!(!lower.contains("forged-by-client"), "{response}");
    terminate(server.child);
}

#[test]
fn an_unknown_log_format_ends_with_a_one_line_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("portal.db");
    let mut command = server_command(database.to_str().expect("utf-8"), "127.0.0.1:0");
    command.env("LOG_FORMAT", "xml");
    assert_one_line_error(
        &run_to_exit(command),
        "LOG_FORMAT must be \"text\" or \"json\"",
    );
}

/// The samples of a Prometheus text exposition: each name with its labels, and the value.
fn samples(text: &str) -> Vec<(String, std::collections::BTreeMap<String, String>, f64)> {
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a value");
            let value: f64 = value
                .parse()
                .unwrap_or_else(|_| panic!("not a number: {line}"));
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, labels.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once('=').expect("label=value");
                    (key.to_owned(), value.trim_matches('"').to_owned())
                })
                .collect();
            (name.to_owned(), labels, value)
        })
        .collect()
}

#[test]
fn metrics_are_served_on_their_own_address_in_the_prometheus_text_format() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("portal.db");
    let mut command = server_command(database.to_str().expect("utf-8"), "127.0.0.1:0");
    command
        .env("METRICS_ADDR", "127.0.0.1:0")
        .env("SIGN_IN_ACCOUNT_LIMIT", "1");
    let server = common::binary::start(command);
    let metrics_address = server
        .log
        .iter()
        .find_map(|line| {
            line.split_once("metrics on http://")
                .and_then(|(_, rest)| rest.split_once("/metrics"))
                .map(|(address, _)| address.to_owned())
        })
        .expect("the metrics address is logged");

    for _ in 0..3 {
        assert!(http_get(&server.address, "/api/health").starts_with("HTTP/1.1 200"));
    }
    let sign_up = serde_json::json!({"Email": "jane@example.com",
        "Password": "a quiet harbour at dusk", "FullName": "Jane Doe"});
    let response = common::binary::http(
        &server.address,
        "POST",
        "/api/auth/signup",
        &[],
        &sign_up.to_string(),
    );
    let (status, body) = common::binary::status_and_body(&response);
    assert_eq!(status, 201, "{body}");
    let token: serde_json::Value = serde_json::from_str(body).expect("JSON");
    let bearer = format!(
        "Bearer {}",
        token["Value"]["AccessToken"].as_str().expect("token")
    );
    let patch = common::binary::http(
        &server.address,
        "PATCH",
        "/api/public/coworker/profile",
        &[("Authorization", &bearer)],
        r#"{"Position": "Designer"}"#,
    );
    assert!(patch.starts_with("HTTP/1.1 200"), "{patch}");
    // The professional page twice: its form rendered once, then taken from the memo.
    let cookie = format!("portal_session={}", &bearer["Bearer ".len()..]);
    for _ in 0..2 {
        let page = common::binary::http(
            &server.address,
            "GET",
            "/profile/professional",
            &[("Cookie", &cookie)],
            "",
        );
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        assert!(page.contains(r#"value="Designer""#), "{page}");
    }
    // One wrong password is allowed for the account, the next is refused by the throttle.
    let wrong = serde_json::json!({"Email": "jane@example.com", "Password": "not it at all"});
    let statuses: Vec<u16> = (0..2)
        .map(|_| {
            let response = common::binary::http(
                &server.address,
                "POST",
                "/api/auth/login",
                &[],
                &wrong.to_string(),
            );
            common::binary::status_and_body(&response).0
        })
        .collect();
    assert_eq!(statuses, [401, 429]);
    // Not on the public address.
    assert!(http_get(&server.address, "/metrics").starts_with("HTTP/1.1 404"));

    // The writer checkpoints after answering its first batch: give it a moment to have done so.
    let mut scraped = http_get(&metrics_address, "/metrics");
    for _ in 0..100 {
        if scraped.contains("\nportal_sqlite_wal_frames ") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        scraped = http_get(&metrics_address, "/metrics");
    }
    let (status, text) = common::binary::status_and_body(&scraped);
    assert_eq!(status, 200, "{scraped}");
    assert!(
        text.contains("# TYPE portal_http_requests_total counter"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE portal_http_request_duration_seconds histogram"),
        "{text}"
    );
    let samples = samples(text);
    let value = |name: &str, labels: &[(&str, &str)]| -> f64 {
        samples
            .iter()
            .find(|(sample, sample_labels, _)| {
                sample == name
                    && labels.iter().all(|(key, value)| {
                        sample_labels.get(*key).map(String::as_str) == Some(*value)
                    })
            })
            .map(|(_, _, value)| *value)
            .unwrap_or_else(|| panic!("no {name} {labels:?} in:\n{text}"))
    };
    let health = [
        ("method", "GET"),
        ("route", "/api/health"),
        ("status", "200"),
    ];
    assert_eq!(value("portal_http_requests_total", &health), 3.0);
    assert_eq!(
        value(
            "portal_http_requests_total",
            &[("route", "/api/auth/login"), ("status", "429")]
        ),
        1.0
    );
    assert_eq!(
        value(
            "portal_http_request_duration_seconds_bucket",
            &[("route", "/api/health"), ("le", "+Inf")]
        ),
        3.0
    );
    assert_eq!(
        value(
            "portal_throttle_refusals_total",
            &[("events", "password_failures")]
        ),
        1.0
    );
    assert_eq!(value("portal_profile_write_batch_size_count", &[]), 1.0);
    assert_eq!(value("portal_profile_write_queue_depth", &[]), 0.0);
    assert!(value("portal_sqlite_wal_frames", &[]) >= 0.0);
    for from in ["render", "memo"] {
        let form = [("island", "ProfileForm"), ("from", from)];
        assert_eq!(value("portal_island_renders_total", &form), 1.0, "{from}");
    }
    assert!(value("portal_island_memo_bytes", &[]) > 1_000.0);
    assert!(value("portal_password_hashing_slots", &[("state", "busy")]) >= 0.0);
    assert_eq!(
        value("portal_password_hashing_slots", &[("state", "waiting")]),
        0.0
    );
    assert!(value("portal_database_connections", &[("state", "idle")]) >= 1.0);
    terminate(server.child);
}
