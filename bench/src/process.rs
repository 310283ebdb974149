//! The servers under test: started as child processes on a free port and a fresh database,
//! waited for, watched for memory, and stopped.

use std::{
    net::{SocketAddr, TcpListener},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use http::Request;
use http_body_util::Full;

use crate::load::Connection;

pub struct Server {
    child: Child,
}

impl Server {
    /// Starts `command` (which must listen on `addr`) and waits until `health` answers 200.
    pub async fn start(
        mut command: Command,
        addr: SocketAddr,
        health: &str,
    ) -> Result<Self, String> {
        let child = command
            .stdout(Stdio::null())
            .spawn()
            .map_err(|error| format!("cannot start {command:?}: {error}"))?;
        let mut server = Server { child };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("{command:?} exited at start-up with {status}"));
            }
            if let Ok(mut connection) = Connection::open(addr).await {
                let request = get(addr, health);
                if matches!(connection.send(request).await, Ok((status, _)) if status.is_success())
                {
                    return Ok(server);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server.kill();
        Err(format!("{command:?} did not answer {health} within 30 s"))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server with SIGKILL: no chance to finish anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port that was free a moment ago.
pub fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free local port")
}

pub fn get(addr: SocketAddr, path: &str) -> Request<Full<Bytes>> {
    Request::get(path)
        .header("host", addr.to_string())
        .body(Full::default())
        .expect("a valid request")
}

/// A value of `/proc/<pid>/status` in KiB, e.g. `VmRSS` or `VmHWM` (the peak).
pub fn memory_kib(pid: u32, field: &str) -> Option<u64> {
    let status =
        std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Samples the resident memory of some processes every 50 ms while the returned guard lives;
/// the guard says the highest total seen.
pub struct RssWatch {
    peak_kib: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RssWatch {
    pub fn start(pid: u32) -> Self {
        Self::start_all(&[pid])
    }

    /// Watches the sum of the processes' memory (the instances of a setup).
    pub fn start_all(pids: &[u32]) -> Self {
        let peak_kib = Arc::new(AtomicU64::new(0));
        let pids = pids.to_vec();
        let task = tokio::spawn({
            let peak_kib = peak_kib.clone();
            async move {
                loop {
                    let total: u64 = pids
                        .iter()
                        .filter_map(|pid| memory_kib(*pid, "VmRSS"))
                        .sum();
                    peak_kib.fetch_max(total, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        });
        RssWatch { peak_kib, task }
    }

    pub fn peak_mib(self) -> f64 {
        self.task.abort();
        self.peak_kib.load(Ordering::Relaxed) as f64 / 1024.0
    }
}

/// Checks that the server at `addr` serves what its pages load: `/login`'s stylesheet, and the
/// script and wasm its islands' loader imports, under `/pkg/`, must each answer 200 (a build
/// that replaced the site with an empty one, or left it from another build, fails here).
/// Returns the paths checked.
pub async fn check_site(addr: SocketAddr) -> Result<Vec<String>, String> {
    let mut connection = Connection::open(addr)
        .await
        .map_err(|error| format!("cannot connect to {addr}: {error}"))?;
    let (status, body) = connection
        .send(get(addr, "/login"))
        .await
        .map_err(|error| error.to_string())?;
    if !status.is_success() {
        return Err(format!("GET /login answered {status}"));
    }
    let linked = crate::bundle::linked_files(&String::from_utf8_lossy(&body));
    for kind in [".css", ".js", ".wasm"] {
        if !linked.iter().any(|path| path.ends_with(kind)) {
            return Err(format!("/login links no {kind} file under /pkg/"));
        }
    }
    for path in &linked {
        let (status, _) = connection
            .send(get(addr, path))
            .await
            .map_err(|error| error.to_string())?;
        if !status.is_success() {
            return Err(format!(
                "{path}, linked from /login, answered {status}: the site root does not hold the \
                 files of this build (build with `make build-release`)"
            ));
        }
    }
    Ok(linked)
}
