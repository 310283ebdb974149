//! `server admin ...` as an operator runs it: each command is the binary, run against the
//! database of a server binary that is serving meanwhile (SQLite, or the PostgreSQL of
//! `PORTAL_TEST_POSTGRES`), and what it did is checked through that server's API.

mod common;

use std::{
    io::Write,
    path::Path,
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

use app::server::store::scratch;
use common::binary::{
    assert_one_line_error, http, server_command, start, status_and_body, terminate, wait_for_exit,
    Running, SERVER,
};
use serde_json::{json, Value};

const PASSWORD: &str = "a quiet harbour at dusk";

struct Portal {
    server: Running,
    database_url: String,
    outbox: std::path::PathBuf,
}

impl Portal {
    async fn start(dir: &Path) -> Portal {
        let database_url = scratch::database_url(dir).await.expect("database");
        let outbox = dir.join("mail");
        let mut command = server_command(&database_url, "127.0.0.1:0");
        command.env("MAIL_OUTBOX", &outbox);
        Portal {
            server: start(command),
            database_url,
            outbox,
        }
    }

    /// `server admin ARGS` on the portal's database, with `stdin` as its standard input.
    fn admin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(SERVER)
            .arg("admin")
            .args(args)
            .env_clear()
            .env("DATABASE_URL", &self.database_url)
            .env("PUBLIC_URL", "https://portal.example")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("admin runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("stdin written");
        wait_for_exit(child)
    }

    /// The JSON a successful `server admin --json ARGS` printed.
    fn admin_json(&self, args: &[&str], stdin: &str) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let output = self.admin(&all, stdin);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("JSON on stdout")
    }

    fn api(&self, method: &str, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let bearer = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = bearer
            .iter()
            .map(|value| ("Authorization", value.as_str()))
            .collect();
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let response = http(&self.server.address, method, path, &headers, &body);
        let (status, text) = status_and_body(&response);
        (status, serde_json::from_str(text).unwrap_or(Value::Null))
    }

    fn log_in(&self, email: &str, password: &str) -> (u16, Value) {
        self.api(
            "POST",
            "/api/auth/login",
            None,
            json!({"Email": email, "Password": password}),
        )
    }

    fn token(&self, email: &str, password: &str) -> String {
        let (status, body) = self.log_in(email, password);
        assert_eq!(status, 200, "{body}");
        body["Value"]["AccessToken"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    fn me(&self, token: &str) -> u16 {
        self.api("GET", "/login/me", Some(token), Value::Null).0
    }

    /// The outbox's messages to `to` whose text contains `needle`, waiting up to 20 s for the
    /// server's mail worker.
    fn wait_for_mail(&self, to: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found = std::fs::read_dir(&self.outbox)
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
                .filter_map(|path| std::fs::read_to_string(path).ok())
                .find(|text| text.contains(to) && text.contains(needle));
            if let Some(text) = found {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "no message to {to} containing {needle:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn members_are_created_locked_out_and_let_back_in_while_the_server_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let portal = Portal::start(dir.path()).await;

    let created = portal.admin_json(
        &[
            "create-member",
            "--email",
            "Ann@Example.com",
            "--name",
            "Ann Lee",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(created["email"], "Ann@Example.com");
    assert_eq!(created["location"], "Main space");
    assert_eq!(created["disabled"], false);
    assert_eq!(created["email_verified"], false);
    portal.wait_for_mail("Ann@Example.com", "https://portal.example/");

    // The same address again, a weak password, an unknown location: refused, one line each.
    let again = portal.admin(
        &[
            "create-member",
            "--email",
            "ann@example.com",
            "--name",
            "Ann",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert_one_line_error(&again, "Email: E-mail address is already registered.");
    let weak = portal.admin(
        &["create-member", "--email", "bo@example.com", "--name", "Bo"],
        "short\n",
    );
    assert_one_line_error(&weak, "Password:");
    let nowhere = portal.admin(
        &[
            "create-member",
            "--email",
            "bo@example.com",
            "--name",
            "Bo",
            "--location",
            "Mars",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert_one_line_error(&nowhere, "no location is named \"Mars\"");
    let no_password = portal.admin(
        &["create-member", "--email", "bo@example.com", "--name", "Bo"],
        "",
    );
    assert_one_line_error(&no_password, "no password on standard input");

    // Ending the sessions signs the member out everywhere.
    let token = portal.token("ann@example.com", PASSWORD);
    assert_eq!(portal.me(&token), 200);
    let ended = portal.admin_json(&["end-sessions", "ann@example.com"], "");
    assert_eq!(ended, json!({"email": "ann@example.com", "ended": 1}));
    assert_eq!(portal.me(&token), 401);

    // A disabled member's sessions end and sign-in says why, once the password is right.
    let token = portal.token("ann@example.com", PASSWORD);
    let disabled = portal.admin_json(&["disable", "ann@example.com"], "");
    assert_eq!(
        (&disabled["disabled"], &disabled["sessions"]),
        (&json!(true), &json!(0))
    );
    assert_eq!(portal.me(&token), 401);
    let (status, body) = portal.log_in("ann@example.com", PASSWORD);
    assert_eq!(status, 403, "{body}");
    assert!(
        body["Message"]
            .as_str()
            .unwrap_or_default()
            .contains("disabled"),
        "{body}"
    );
    assert_eq!(portal.log_in("ann@example.com", "not the password").0, 401);
    let enabled = portal.admin_json(&["enable", "ann@example.com"], "");
    assert_eq!(enabled["disabled"], false);
    let token = portal.token("ann@example.com", PASSWORD);

    // A new password from the operator: the old one and every session stop working.
    let weak = portal.admin(&["set-password", "ann@example.com"], "password\n");
    assert_one_line_error(&weak, "Password:");
    let new_password = "lanterns over the northern quay";
    portal.admin_json(
        &["set-password", "ann@example.com"],
        &format!("{new_password}\n"),
    );
    assert_eq!(portal.me(&token), 401);
    assert_eq!(portal.log_in("ann@example.com", PASSWORD).0, 401);
    portal.token("ann@example.com", new_password);
    portal.wait_for_mail("Ann@Example.com", "password was changed");

    let reset = portal.admin_json(&["send-reset-link", "ann@example.com"], "");
    assert_eq!(reset["id"], created["id"]);
    portal.wait_for_mail(
        "Ann@Example.com",
        "https://portal.example/password/reset?token=",
    );
    let unknown = portal.admin(&["disable", "nobody@example.com"], "");
    assert_one_line_error(&unknown, "no member signs in as \"nobody@example.com\"");

    // Her security log shows what the operator did.
    let token = portal.token("ann@example.com", new_password);
    let (status, log) = portal.api(
        "GET",
        "/api/account/security-log",
        Some(&token),
        Value::Null,
    );
    assert_eq!(status, 200, "{log}");
    let text = log.to_string();
    for needle in [
        "Account created by the portal's operator",
        "Every session ended by the portal's operator",
        "Account disabled by the portal's operator",
        "Password set by the portal's operator",
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }

    let output = terminate(portal.server.child);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_up_closes_and_a_location_policy_changes_for_the_next_password() {
    let dir = tempfile::tempdir().expect("temp dir");
    let portal = Portal::start(dir.path()).await;
    let sign_up = |email: &str, password: &str| {
        portal.api(
            "POST",
            "/api/auth/signup",
            None,
            json!({"Email": email, "Password": password, "FullName": "Cy Young"}),
        )
    };

    assert_eq!(
        portal.admin_json(&["sign-up"], ""),
        json!({"sign_up": "open"})
    );
    assert_eq!(
        portal.admin_json(&["sign-up", "close"], ""),
        json!({"sign_up": "closed"})
    );
    let (status, body) = sign_up("cy@example.com", PASSWORD);
    assert_eq!(status, 403, "{body}");
    assert!(body["Message"]
        .as_str()
        .unwrap_or_default()
        .contains("Sign-up is closed"));
    // The operator still lets people in.
    portal.admin_json(
        &[
            "create-member",
            "--email",
            "dee@example.com",
            "--name",
            "Dee",
        ],
        &format!("{PASSWORD}\n"),
    );
    portal.admin_json(&["sign-up", "open"], "");
    assert_eq!(sign_up("cy@example.com", PASSWORD).0, 201);

    let locations = portal.admin_json(&["locations"], "");
    assert_eq!(locations[0]["name"], "Main space");
    assert_eq!(locations[0]["members"], 2);
    assert_eq!(locations[0]["policy"]["min_length"], 8);
    let changed = portal.admin_json(
        &[
            "set-policy",
            "Main space",
            "--min-length",
            "30",
            "--require-digit",
            "true",
        ],
        "",
    );
    assert_eq!(changed["policy"]["min_length"], 30);
    assert_eq!(changed["policy"]["require_digit"], true);
    assert_eq!(changed["policy"]["max_length"], 128);
    // The new rules hold at sign-up; they say which rule failed.
    let (status, body) = sign_up("eve@example.com", PASSWORD);
    assert_eq!(status, 400, "{body}");
    let text = body.to_string();
    assert!(text.contains("30"), "{text}");
    assert_eq!(
        sign_up("eve@example.com", "9 lanterns over the northern quay").0,
        201
    );

    for (args, expected) in [
        (
            &["set-policy", "Main space", "--min-length", "4"][..],
            "MinLength: The minimum length must be at least 8.",
        ),
        (
            &["set-policy", "Main space", "--max-length", "20"][..],
            "MaxLength: The maximum length must be at least 64",
        ),
        (
            &["set-policy", "Atlantis"][..],
            "no location is named \"Atlantis\"",
        ),
    ] {
        assert_one_line_error(&portal.admin(args, ""), expected);
    }
    // Nothing was changed by the refusals.
    assert_eq!(
        portal.admin_json(&["locations"], "")[0]["policy"],
        changed["policy"]
    );

    let members = portal.admin_json(&["members"], "");
    let emails: Vec<&str> = members
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|member| member["email"].as_str())
        .collect();
    assert_eq!(
        emails,
        ["dee@example.com", "cy@example.com", "eve@example.com"]
    );
    let listed = portal.admin(&["members", "--location", "Main space"], "");
    let text = String::from_utf8_lossy(&listed.stdout);
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(
        text.contains("Dee <dee@example.com> at Main space"),
        "{text}"
    );

    // A malformed command is clap's: the usage, exit status 2.
    let wrong = portal.admin(&["set-policy", "Main space", "--min-length", "lots"], "");
    assert_eq!(wrong.status.code(), Some(2), "{}", stderr(&wrong));
    assert!(stderr(&wrong).contains("--min-length"));

    terminate(portal.server.child);
}
