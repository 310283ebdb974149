//! The soak of `make bench`: every member renders every page at once, each client a member of
//! its own going round the pages, for `SOAK_SECS` (60). A request answered after more than
//! `STALL` counts as a stall, and one not answered by `GIVE_UP` too (its connection is dropped
//! and a new one opened): a render that never finishes shows here instead of hanging the run.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use http::Request;
use http_body_util::Full;

use crate::load::{self, Connection, Stats};

/// An answer slower than this is a stall.
pub const STALL: Duration = Duration::from_secs(5);
/// How long a client waits for an answer before it counts a stall and reconnects.
const GIVE_UP: Duration = Duration::from_secs(15);

/// Every page of the portal: `(path, needs a session)`.
const PAGES: [(&str, bool); 13] = [
    ("/", false),
    ("/login", false),
    ("/signup", false),
    ("/password/forgot", false),
    ("/profile", true),
    ("/profile/professional", true),
    ("/profile/billing", true),
    ("/profile/notifications", true),
    ("/profile/password", true),
    ("/profile/support", true),
    ("/profile/security", true),
    ("/profile/security/authenticator", true),
    ("/directory", true),
];

pub struct Soak {
    /// Every answer, stalls included.
    pub stats: Stats,
    /// Answers slower than `STALL`, and requests given up on.
    pub stalls: u64,
    pub clients: usize,
}

/// Runs `clients` clients for `duration`; client `n` is member `n` (of `tokens`, session tokens)
/// and starts at page `n`, so every page is rendered for many members at the same moment.
pub async fn run(
    addr: SocketAddr,
    tokens: Arc<Vec<String>>,
    clients: usize,
    duration: Duration,
) -> Soak {
    let end = Instant::now() + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let tokens = tokens.clone();
            tokio::spawn(async move {
                let (mut stats, mut stalls) = (Stats::default(), 0);
                let token = &tokens[client % tokens.len()];
                let mut connection = None;
                let mut turn = client;
                while Instant::now() < end {
                    let (path, signed_in) = PAGES[turn % PAGES.len()];
                    turn += 1;
                    if connection.is_none() {
                        connection = Connection::open_from(addr, load::source(client)).await.ok();
                    }
                    let Some(open) = connection.as_mut() else {
                        stats.failed += 1;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    };
                    let sent = Instant::now();
                    let answer = tokio::time::timeout(
                        GIVE_UP,
                        open.send(page(addr, path, signed_in.then_some(token))),
                    )
                    .await;
                    let took = sent.elapsed();
                    match answer {
                        Ok(Ok((status, _))) => {
                            stats
                                .latencies_us
                                .push(took.as_micros().min(u128::from(u32::MAX)) as u32);
                            if !status.is_success() {
                                stats.non_2xx += 1;
                            }
                            if took > STALL {
                                stalls += 1;
                                eprintln!("soak: stall: {path} took {:.1} s", took.as_secs_f64());
                            }
                        }
                        Ok(Err(_)) => {
                            stats.failed += 1;
                            connection = None;
                        }
                        Err(_) => {
                            stalls += 1;
                            eprintln!(
                                "soak: stall: {path} not answered in {} s",
                                GIVE_UP.as_secs()
                            );
                            connection = None;
                        }
                    }
                }
                (stats, stalls)
            })
        })
        .collect();
    let mut soak = Soak {
        stats: Stats::default(),
        stalls: 0,
        clients,
    };
    for task in tasks {
        if let Ok((stats, stalls)) = task.await {
            soak.stats.latencies_us.extend(stats.latencies_us);
            soak.stats.non_2xx += stats.non_2xx;
            soak.stats.failed += stats.failed;
            soak.stalls += stalls;
        }
    }
    soak.stats.elapsed = duration;
    soak.stats.latencies_us.sort_unstable();
    soak
}

/// A GET of `path`, with the session cookie of `token` when given. A page that sends the
/// visitor elsewhere (a 302) answers as quickly as one that renders; both count as answered.
fn page(addr: SocketAddr, path: &str, token: Option<&String>) -> Request<Full<bytes::Bytes>> {
    let mut request = Request::get(path).header("host", addr.to_string());
    if let Some(token) = token {
        request = request.header(
            "cookie",
            format!(
                "{}={token}",
                app::server::identity::session_cookie::SESSION_COOKIE
            ),
        );
    }
    request.body(Full::default()).expect("a valid request")
}
