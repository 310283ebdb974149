//! The test SMTP server (`mail-server/smtp_sink.py`, aiosmtpd) for the cluster test: both
//! instances send to it, and the checks and Playwright read what it received from its folder.

use std::{
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::process::free_addr;

pub struct MailSink {
    child: Child,
    pub port: u16,
    pub folder: PathBuf,
}

impl MailSink {
    /// Starts the server on a free port, writing to `folder`, with the interpreter of
    /// `PORTAL_TEST_SMTP_PYTHON` (what `make mail-server` installed).
    pub fn start(folder: &Path) -> Result<MailSink, String> {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let python = std::env::var_os("PORTAL_TEST_SMTP_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace.join("target/mail-venv/bin/python"));
        let port = free_addr().port();
        let child = Command::new(&python)
            .arg(workspace.join("mail-server/smtp_sink.py"))
            .arg(port.to_string())
            .arg(folder)
            .stdout(Stdio::null())
            .spawn()
            .map_err(|error| {
                format!(
                    "cannot start the SMTP server with {} (make mail-server): {error}",
                    python.display()
                )
            })?;
        let sink = MailSink {
            child,
            port,
            folder: folder.to_owned(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(format!("the SMTP server did not listen on {port}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(sink)
    }

    /// `SMTP_URL` for the instances.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// Every message received so far (`to`, `subject`, `text`, `html`).
    pub fn messages(&self) -> Vec<Value> {
        let Ok(entries) = std::fs::read_dir(&self.folder) else {
            return Vec::new();
        };
        entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .filter_map(|text| serde_json::from_str(&text).ok())
            .collect()
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
