//! The server binary as an operator runs it: started on a free port, stopped by SIGTERM, its
//! commands run to their exit, and plain HTTP/1.1 to it.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Child, Command, Output, Stdio},
    sync::mpsc,
    time::Duration,
};

pub const SERVER: &str = env!("CARGO_BIN_EXE_server");

/// The binary with only these variables (and `RUST_LOG=info`) in its environment. Its mail
/// goes to a folder under the system's temporary directory, not to `mail-outbox/` of the
/// working directory (the crate's folder, in the work tree); a test that reads the mail sets
/// `MAIL_OUTBOX` itself.
pub fn server_command(database_url: &str, site_addr: &str) -> Command {
    let mut command = Command::new(SERVER);
    command
        .env_clear()
        .env("DATABASE_URL", database_url)
        .env("LEPTOS_SITE_ADDR", site_addr)
        .env("MAIL_OUTBOX", std::env::temp_dir().join("portal-test-mail"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs a command that is expected to stop on its own, with a time limit.
pub fn run_to_exit(mut command: Command) -> Output {
    wait_for_exit(command.spawn().expect("server starts"))
}

pub fn wait_for_exit(child: Child) -> Output {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || sender.send(child.wait_with_output()));
    receiver
        .recv_timeout(Duration::from_secs(60))
        .expect("server exits within 60 s")
        .expect("output")
}

pub fn terminate(child: Child) -> Output {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    wait_for_exit(child)
}

/// Exit status 1 and one line on stderr, `error: ...` containing `expected`.
pub fn assert_one_line_error(output: &Output, expected: &str) {
    assert_eq!(
        output.status.code(),
        Some(1),
        "exit status: {:?}",
        output.status
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr, got: {stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(lines[0].contains(expected), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A server started on a free port, with the lines it logs.
pub struct Running {
    pub child: Child,
    pub address: String,
    pub log: mpsc::Receiver<String>,
}

/// Starts `command` (from `server_command`, with any more variables set) and waits for the
/// address it listens on.
pub fn start(mut command: Command) -> Running {
    let mut child = command.spawn().expect("server starts");
    let stdout = child.stdout.take().expect("stdout");
    let (sender, log) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    let address = log
        .iter()
        .find_map(|line| {
            // In a text line or a JSON one (where a quote ends the message).
            line.split_once("listening on http://").map(|(_, rest)| {
                rest.split(|c: char| c == '"' || c.is_whitespace())
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
        })
        .expect("server logs its address");
    Running {
        child,
        address,
        log,
    }
}

/// An HTTP/1.1 exchange: the whole response, head and body.
pub fn http(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> String {
    let mut stream = TcpStream::connect(address).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).expect("request sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response read");
    response
}

pub fn http_get(address: &str, path: &str) -> String {
    http(address, "GET", path, &[], "")
}

/// The status code and the body of a response from `http`.
pub fn status_and_body(response: &str) -> (u16, &str) {
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {response}"));
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    (status, body)
}
