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
