//! A real SMTP server for the tests: `mail-server/smtp_sink.py` (aiosmtpd) on a free port,
//! writing what it accepts to a folder the tests read. Never a stub of the transport: the
//! portal's own lettre client talks SMTP to it.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use app::server::{
    mail::{
        transport::{sender, Mailer},
        worker::{deliver_due, Pass, RetryPolicy},
    },
    store::Store,
};
use serde_json::Value;
use tempfile::TempDir;

pub struct SmtpSink {
    child: Child,
    folder: TempDir,
    port: u16,
}

/// The interpreter of the virtualenv `make mail-server` makes (or `PORTAL_TEST_SMTP_PYTHON`).
fn python() -> PathBuf {
    std::env::var_os("PORTAL_TEST_SMTP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/mail-venv/bin/python"))
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the server crate is in the workspace")
        .to_owned()
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let python = python();
        assert!(
            python.exists(),
            "{} is missing: run `make mail-server` (the tests send mail to a real SMTP server)",
            python.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let folder = tempfile::tempdir().expect("temp dir");
        let child = Command::new(&python)
            .arg(workspace().join("mail-server/smtp_sink.py"))
            .arg(port.to_string())
            .arg(folder.path())
            .stdout(Stdio::null())
            .spawn()
            .expect("the SMTP server starts");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the SMTP server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpSink {
            child,
            folder,
            port,
        }
    }

    /// The portal's transport to this server (no TLS: it is on loopback).
    pub fn mailer(&self) -> Mailer {
        Mailer::smtp(
            &format!("smtp://127.0.0.1:{}?tls=none", self.port),
            sender("Member Portal <portal@portal.test>").expect("sender"),
        )
        .expect("transport")
    }

    /// Sends what is due in `store`'s queue through this server, as the worker does.
    pub async fn deliver(&self, store: &Store) -> Pass {
        deliver_due(store, &self.mailer(), &RetryPolicy::default())
            .await
            .expect("the queue is readable")
    }

    /// Makes the server refuse every message (550) until `refuse(false)`.
    pub fn refuse(&self, refusing: bool) {
        let flag = self.folder.path().join("refuse");
        if refusing {
            std::fs::write(flag, b"").expect("flag");
        } else {
            std::fs::remove_file(flag).expect("flag");
        }
    }

    /// Every message received so far, oldest first: `to`, `subject`, `text`, `html`.
    pub fn messages(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.folder.path())
            .expect("folder")
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|file| {
                serde_json::from_str(&std::fs::read_to_string(file).expect("message"))
                    .expect("JSON")
            })
            .collect()
    }

    /// The messages to `address`, oldest first.
    pub fn messages_to(&self, address: &str) -> Vec<Value> {
        self.messages()
            .into_iter()
            .filter(|message| {
                message["to"]
                    .as_array()
                    .is_some_and(|to| to.iter().any(|to| to == address))
            })
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The token of the first link in `message`'s text that opens `page`.
pub fn link_token(message: &Value, page: &str) -> String {
    let text = message["text"].as_str().expect("a text part");
    let start = text
        .find(&format!("{page}?token="))
        .unwrap_or_else(|| panic!("no link to {page} in {text}"));
    text[start + page.len() + "?token=".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
