//! The deployment recipe of docs/operating.md, run: the systemd unit passes `systemd-analyze verify`
//! with its hardening on, the portal answers through HAProxy (Debian's) terminating TLS with
//! deploy/haproxy-tls.cfg as it stands, and a drafting backend behind the operator's own
//! certificate authority is reached once that CA is in the system's trust store.

mod common;

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use common::binary::{http, server_command, start, status_and_body, terminate, SERVER};
use serde_json::Value;

fn repository_file(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|error| panic!("{path}: {error}"))
}

#[test]
fn the_systemd_unit_verifies_with_its_hardening_on() {
    let unit = repository_file("deploy/portal.service");
    for option in [
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "StateDirectory=portal",
        "DynamicUser=yes",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=\n",
        "KillSignal=SIGTERM",
    ] {
        assert!(unit.contains(option), "{option} missing from the unit");
    }
    // verify also checks that the program exists: the one just built stands in for
    // /opt/portal/server.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("portal.service");
    std::fs::write(
        &path,
        unit.replace(
            "ExecStart=/opt/portal/server",
            &format!("ExecStart={SERVER}"),
        ),
    )
    .expect("unit written");
    let output = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze runs (Debian's systemd package; `make test` installs it)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        !stderr.contains("portal.service"),
        "systemd-analyze complains about the unit: {stderr}"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

fn wait_for_port(port: u16, proxy: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = proxy.try_wait() {
            panic!("haproxy exited: {status}");
        }
        assert!(Instant::now() < deadline, "haproxy never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn openssl(args: &[&str], dir: &Path) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl {args:?}");
}

/// A throwaway certificate authority (`ca.pem`) and, signed by it, a certificate for
/// 127.0.0.1 and localhost with its key in one PEM file as HAProxy takes it (`server.pem`).
fn certificates(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509", "-days", "1", "-subj", "/CN=Portal test CA"];
    ca.extend(ec);
    ca.extend(["-keyout", "ca.key", "-out", "ca.pem"]);
    ca.extend(["-addext", "basicConstraints=critical,CA:TRUE"]);
    ca.extend(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    openssl(&ca, dir);
    let mut request = vec!["req", "-subj", "/CN=localhost"];
    request.extend(ec);
    request.extend(["-keyout", "server.key", "-out", "server.csr"]);
    openssl(&request, dir);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         extendedKeyUsage=serverAuth\n",
    )
    .expect("extensions written");
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-out",
            "server.crt",
            "-extfile",
            "server.ext",
        ],
        dir,
    );
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect(name);
    let pem = dir.join("server.pem");
    std::fs::write(&pem, read("server.crt") + &read("server.key")).expect("pem written");
    (dir.join("ca.pem"), pem)
}

/// HAProxy with deploy/haproxy-tls.cfg in front of `instance`: the running proxy and its https
/// and http ports.
fn tls_proxy(instance: &str, pem: &Path) -> (Child, u16, u16) {
    let (https, http) = (free_port(), free_port());
    let mut proxy = Command::new("haproxy")
        .args(["-f", "deploy/haproxy-tls.cfg", "-db"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .env("PORTAL_HTTPS", format!("127.0.0.1:{https}"))
        .env("PORTAL_HTTP", format!("127.0.0.1:{http}"))
        .env("PORTAL_CERT", pem)
        .env("PORTAL_INSTANCE", instance)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("haproxy starts (Debian's haproxy; `make test` installs it)");
    wait_for_port(https, &mut proxy);
    wait_for_port(http, &mut proxy);
    (proxy, https, http)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_portal_answers_through_haproxy_terminating_tls() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("portal.db");
    let mut command = server_command(database.to_str().expect("utf-8"), "127.0.0.1:0");
    command
        .env("TRUSTED_PROXIES", "127.0.0.1")
        .env("LOG_FORMAT", "json");
    let server = start(command);
    let (_, pem) = certificates(dir.path());
    let (mut proxy, https, http) = tls_proxy(&server.address, &pem);

    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let base = format!("https://127.0.0.1:{https}");

    let health = client
        .get(format!("{base}/api/health"))
        .send()
        .await
        .expect("https answers");
    assert_eq!(health.status(), 200);
    let id = health.headers()["x-request-id"].to_str().expect("ascii");
    assert_eq!(id.len(), 36, "the proxy's uuid is echoed: {id}");
    assert!(health.headers().contains_key("strict-transport-security"));

    let plain = client
        .get(format!("http://127.0.0.1:{http}/login"))
        .send()
        .await
        .expect("http answers");
    assert_eq!(plain.status(), 301);
    assert!(plain.headers()["location"]
        .to_str()
        .expect("ascii")
        .starts_with("https://"));

    // Over https as the proxy says: the session cookie is Secure. A `Forwarded` header the
    // client wrote does not make it somebody else.
    let signed_up = client
        .post(format!("{base}/api/auth/signup"))
        .header("Forwarded", "for=198.51.100.7")
        .json(&serde_json::json!({"Email": "jane@example.com",
            "Password": "a quiet harbour at dusk", "FullName": "Jane Doe"}))
        .send()
        .await
        .expect("sign-up answers");
    assert_eq!(signed_up.status(), 201);
    let cookie = signed_up.headers()["set-cookie"].to_str().expect("ascii");
    assert!(cookie.contains("Secure"), "{cookie}");

    // Compression is the portal's, through the proxy.
    let page = client
        .get(format!("{base}/login"))
        .header("Accept-Encoding", "br")
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-encoding"], "br");

    let sign_up_line = server
        .log
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(&line).ok())
        .find(|line| line["target"] == "access" && line["fields"]["route"] == "/api/auth/signup")
        .expect("the sign-up's access line");
    assert_eq!(
        sign_up_line["fields"]["client"], "127.0.0.1",
        "{sign_up_line}"
    );

    let _ = proxy.kill();
    let _ = proxy.wait();
    terminate(server.child);
}

/// A fake OpenAI-compatible backend on 127.0.0.1 that answers every chat completion with one
/// sentence; its address.
async fn fake_language_model() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let address = listener.local_addr().expect("address").to_string();
    let router = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(|| async {
            axum::Json(
                serde_json::json!({"choices": [{"message": {"role": "assistant",
                "content": "**Jane** designs parks people love."}}]}),
            )
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

/// A member of a portal binary drafting with `OPENAI_BASE_URL`, and the status of their draft.
fn draft_through(base_url: &str, ca: Option<&Path>, dir: &Path) -> u16 {
    let database = dir.join(format!("portal-{}.db", ca.is_some()));
    let mut command = server_command(database.to_str().expect("utf-8"), "127.0.0.1:0");
    command
        .env("OPENAI_BASE_URL", base_url)
        .env("OPENAI_MODEL", "test-model");
    if let Some(ca) = ca {
        // Where rustls-native-certs reads the system's trust store from, as OpenSSL does.
        command.env("SSL_CERT_FILE", ca);
    }
    let server = start(command);
    let sign_up = serde_json::json!({"Email": "jane@example.com",
        "Password": "a quiet harbour at dusk", "FullName": "Jane Doe"});
    let response = http(
        &server.address,
        "POST",
        "/api/auth/signup",
        &[],
        &sign_up.to_string(),
    );
    let (status, body) = status_and_body(&response);
    assert_eq!(status, 201, "{body}");
    let token: Value = serde_json::from_str(body).expect("JSON");
    let bearer = format!(
        "Bearer {}",
        token["Value"]["AccessToken"].as_str().expect("token")
    );
    let facts = serde_json::json!({"Position": "Landscape Architect", "CompanyName": "Green Works",
        "Industry": "Architecture", "ProfileTags": "parks, urban design"});
    let headers = [("Authorization", bearer.as_str())];
    let patched = http(
        &server.address,
        "PATCH",
        "/api/public/coworker/profile",
        &headers,
        &facts.to_string(),
    );
    assert_eq!(status_and_body(&patched).0, 200, "{patched}");
    let drafted = http(
        &server.address,
        "POST",
        "/en/profile/GenerateOpenAiProfile",
        &headers,
        "",
    );
    let (status, body) = status_and_body(&drafted);
    if status == 200 {
        assert!(body.contains("designs parks people love"), "{body}");
    }
    terminate(server.child);
    status
}

#[tokio::test(flavor = "multi_thread")]
async fn a_language_model_behind_the_operators_own_ca_is_reached_through_the_system_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (ca, pem) = certificates(dir.path());
    let backend = fake_language_model().await;
    let (mut proxy, https, _) = tls_proxy(&backend, &pem);
    let base_url = format!("https://127.0.0.1:{https}/v1");
    let root = dir.path().to_owned();
    let statuses = tokio::task::spawn_blocking(move || {
        [
            draft_through(&base_url, None, &root),
            draft_through(&base_url, Some(&ca), &root),
        ]
    })
    .await
    .expect("drafts");
    // Without the operator's CA in the trust store the certificate is unknown: 502.
    assert_eq!(statuses, [502, 200]);
    let _ = proxy.kill();
    let _ = proxy.wait();
}
