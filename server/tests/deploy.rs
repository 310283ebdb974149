//! The deployment recipe of the README, run: the systemd unit passes `systemd-analyze verify`
//! with its hardening on, and the portal answers through HAProxy (Debian's) terminating TLS with
//! deploy/haproxy-tls.cfg as it stands.

mod common;

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use common::binary::{server_command, start, terminate, SERVER};
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

/// A self-signed certificate for `localhost` and its key, in one PEM file as HAProxy takes it.
fn certificate(dir: &Path) -> std::path::PathBuf {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success());
    let pem = dir.join("portal.pem");
    let both = std::fs::read_to_string(&cert).expect("cert")
        + &std::fs::read_to_string(&key).expect("key");
    std::fs::write(&pem, both).expect("pem written");
    pem
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
    let (https, http) = (free_port(), free_port());
    let mut proxy = Command::new("haproxy")
        .args(["-f", "deploy/haproxy-tls.cfg", "-db"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .env("PORTAL_HTTPS", format!("127.0.0.1:{https}"))
        .env("PORTAL_HTTP", format!("127.0.0.1:{http}"))
        .env("PORTAL_CERT", certificate(dir.path()))
        .env("PORTAL_INSTANCE", &server.address)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("haproxy starts (Debian's haproxy; `make test` installs it)");
    wait_for_port(https, &mut proxy);
    wait_for_port(http, &mut proxy);

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
