//! `make test-cluster`: two portal instances on one PostgreSQL database behind HAProxy, started
//! with the repository's own `deploy/haproxy.cfg` (round-robin, no stickiness), and what must
//! hold through the balancer: a session made on one instance works on the other; failed
//! sign-ins spread over both trip the account's limit; concurrent PATCHes of different fields
//! through both lose nothing; a stale `If-Match` gets 412 from either; SIGKILL of one instance
//! under PATCH load loses no acknowledged write while the other keeps answering; both instances'
//! mail workers, on one queue, send each message once (to a real SMTP server the test starts).
//! Then the Playwright suite (chromium project) runs through the balancer, reading its mail from
//! that server. Prints `N passed, M failed`.
//!
//! Needs `PORTAL_TEST_POSTGRES` (a server to make the database on) and `haproxy` on PATH.

use std::{
    collections::BTreeSet,
    net::SocketAddr,
    path::Path,
    process::Command,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::Full;
use serde_json::{json, Value};

use crate::{
    load::Connection,
    mail_sink::MailSink,
    process::{free_addr, Server},
};

const PASSWORD: &str = "a quiet harbour at dusk";
/// The default `SIGN_IN_ACCOUNT_LIMIT`, which the instances run with.
const ACCOUNT_LIMIT: usize = 10;

/// A whole answer, its body read as JSON where it is JSON.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    /// The instance that answered, as the balancer names it (`a` or `b`).
    fn served_by(&self) -> String {
        self.header("x-served-by").to_owned()
    }
}

/// The balancer's address and the requests the checks make through it, each on a connection
/// of its own (so the balancer picks an instance for each).
#[derive(Clone, Copy)]
struct Balancer(SocketAddr);

impl Balancer {
    fn request(
        self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Request<Full<Bytes>> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.0.to_string());
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Bytes::from(body.to_string())
            }
            None => Bytes::new(),
        };
        request.body(Full::new(body)).expect("a valid request")
    }

    async fn call(
        self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Answer, String> {
        let mut connection = Connection::open(self.0)
            .await
            .map_err(|error| format!("cannot reach the balancer: {error}"))?;
        let (status, headers, body) = connection
            .exchange(self.request(method, path, token, headers, body))
            .await
            .map_err(|error| format!("{method} {path}: {error}"))?;
        Ok(Answer {
            status,
            headers,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        })
    }

    /// Signs a new member up; their token.
    async fn sign_up(self, email: &str) -> Result<String, String> {
        let body = json!({"Email": email, "Password": PASSWORD, "FullName": "Cluster Member"});
        let answer = self
            .call("POST", "/api/auth/signup", None, &[], Some(&body))
            .await?;
        answer.body["Value"]["AccessToken"]
            .as_str()
            .filter(|_| answer.status == StatusCode::CREATED)
            .map(str::to_owned)
            .ok_or_else(|| format!("sign-up answered {}: {}", answer.status, answer.body))
    }

    async fn patch(
        self,
        token: &str,
        if_match: Option<&str>,
        body: &Value,
    ) -> Result<Answer, String> {
        let headers: Vec<(&str, &str)> =
            if_match.map(|tag| ("if-match", tag)).into_iter().collect();
        self.call(
            "PATCH",
            "/api/public/coworker/profile",
            Some(token),
            &headers,
            Some(body),
        )
        .await
    }

    async fn profile(self, token: &str) -> Result<Answer, String> {
        self.call("GET", "/en/profile", Some(token), &[], None)
            .await
    }
}

fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(message())
    }
}

/// The version in a profile's entity tag (`"p7-v3"` -> 3).
fn version(etag: &str) -> Option<i64> {
    etag.trim_matches('"').rsplit("-v").next()?.parse().ok()
}

pub async fn run(server: &str, site_root: &str) -> Result<(usize, usize), String> {
    let Some(_) = app::server::store::scratch::postgres_server() else {
        return Err(format!(
            "the cluster test needs a PostgreSQL server in {}",
            app::server::store::scratch::POSTGRES_ENV
        ));
    };
    let dir = std::env::temp_dir().join(format!("portal-cluster-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|error| error.to_string())?;
    let database = app::server::store::scratch::database_url(&dir)
        .await
        .map_err(|error| error.to_string())?;
    let mail = MailSink::start(&dir.join("mail"))?;
    let result = with_cluster(server, site_root, &database, &mail).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn instance(
    server: &str,
    site_root: &str,
    (database, mail): (&str, &MailSink),
    addr: SocketAddr,
) -> Command {
    let mut command = Command::new(server);
    command
        .env("DATABASE_URL", database)
        .env("SMTP_URL", mail.url())
        .env("MAIL_FROM", "Member Portal <portal@portal.test>")
        .env("MAIL_REQUEST_CLIENT_LIMIT", "100000")
        .env("LEPTOS_SITE_ADDR", addr.to_string())
        .env("LEPTOS_SITE_ROOT", site_root)
        .env("TRUSTED_PROXIES", "127.0.0.1")
        // The checks and the Playwright suite sign up many members from one address.
        .env("SIGN_UP_CLIENT_LIMIT", "100000")
        .env("RUST_LOG", "warn")
        .env("OPENAI_BASE_URL", "")
        .env("OPENAI_API_KEY", "");
    command
}

async fn with_cluster(
    server: &str,
    site_root: &str,
    database: &str,
    mail: &MailSink,
) -> Result<(usize, usize), String> {
    let (a_addr, b_addr, balancer_addr) = (free_addr(), free_addr(), free_addr());
    // Both start at once on the empty database: the migrations must survive that too.
    let (a, b) = tokio::join!(
        Server::start(
            instance(server, site_root, (database, mail), a_addr),
            a_addr,
            "/api/health"
        ),
        Server::start(
            instance(server, site_root, (database, mail), b_addr),
            b_addr,
            "/api/health"
        ),
    );
    let (mut a, _b) = (a?, b?);
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/haproxy.cfg");
    let mut haproxy = Command::new("haproxy");
    haproxy
        .arg("-f")
        .arg(&config)
        .arg("-db")
        .env("PORTAL_LISTEN", balancer_addr.to_string())
        .env("PORTAL_A", a_addr.to_string())
        .env("PORTAL_B", b_addr.to_string());
    let _haproxy = Server::start(haproxy, balancer_addr, "/api/health").await?;
    let lb = Balancer(balancer_addr);
    eprintln!("instances a on {a_addr}, b on {b_addr}, HAProxy on {balancer_addr}");
    wait_for_both(lb).await?;

    let mut outcomes: Vec<(&str, Result<(), String>)> = vec![
        (
            "a session made on one instance works on the other",
            session_crosses_instances(lb).await,
        ),
        (
            "failed sign-ins through both instances trip the account's limit",
            account_limit_spans_instances(lb).await,
        ),
        (
            "concurrent PATCHes of different fields through both lose nothing",
            concurrent_fields_are_all_kept(lb).await,
        ),
        (
            "a stale If-Match gets 412 from either instance",
            stale_if_match_everywhere(lb).await,
        ),
        (
            "two instances' mail workers send each queued message once",
            each_message_sent_once(lb, mail).await,
        ),
        (
            "SIGKILL of one instance under PATCH load loses no acknowledged write",
            kill_one_under_load(lb, &mut a).await,
        ),
    ];
    // Instance a comes back on the same database, and the balancer takes it in again.
    let _a = Server::start(
        instance(server, site_root, (database, mail), a_addr),
        a_addr,
        "/api/health",
    )
    .await?;
    let rejoined = wait_for_both(lb).await;
    outcomes.push((
        "the Playwright suite (chromium) passes through the balancer",
        match rejoined {
            Ok(()) => playwright(balancer_addr, mail),
            Err(error) => Err(error),
        },
    ));

    let mut failed = 0;
    for (name, outcome) in &outcomes {
        match outcome {
            Ok(()) => println!("ok: {name}"),
            Err(error) => {
                failed += 1;
                println!("FAILED: {name}: {error}");
            }
        }
    }
    Ok((outcomes.len() - failed, failed))
}

/// Reset links asked for 20 addresses through the balancer (so through both instances, each
/// waking its own worker while the other polls the same queue): each address gets exactly one
/// message, also after both workers had time for another pass.
async fn each_message_sent_once(lb: Balancer, mail: &MailSink) -> Result<(), String> {
    const ADDRESSES: usize = 20;
    let address = |n: usize| format!("nobody-{n}@cluster.test");
    for n in 0..ADDRESSES {
        let asked = lb
            .call(
                "POST",
                "/api/auth/password/forgot",
                None,
                &[],
                Some(&json!({ "Email": address(n) })),
            )
            .await?;
        ensure(asked.status == StatusCode::ACCEPTED, || {
            format!("forgot password answered {}", asked.status)
        })?;
    }
    let received = |n: usize| {
        mail.messages()
            .iter()
            .filter(|message| {
                message["to"]
                    .as_array()
                    .is_some_and(|to| to.contains(&json!(address(n))))
            })
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while (0..ADDRESSES).any(|n| received(n) == 0) {
        if Instant::now() > deadline {
            let missing = (0..ADDRESSES).filter(|n| received(*n) == 0).count();
            return Err(format!("{missing} of {ADDRESSES} messages never arrived"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Longer than a poll of both workers: a message claimed twice would arrive by now.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let twice: Vec<usize> = (0..ADDRESSES).filter(|n| received(*n) != 1).collect();
    ensure(twice.is_empty(), || {
        format!("addresses that got more than one message: {twice:?}")
    })
}

/// Until both instances have answered through the balancer (its health checks take an
/// instance in after two good answers).
async fn wait_for_both(lb: Balancer) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = BTreeSet::new();
    while Instant::now() < deadline {
        if let Ok(answer) = lb.call("GET", "/api/health", None, &[], None).await {
            if answer.status.is_success() {
                seen.insert(answer.served_by());
            }
        }
        if seen.contains("a") && seen.contains("b") {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("only {seen:?} answered through the balancer"))
}

async fn session_crosses_instances(lb: Balancer) -> Result<(), String> {
    let email = "crossing@example.com";
    let body = json!({"Email": email, "Password": PASSWORD, "FullName": "Crossing Member"});
    let signed_up = lb
        .call("POST", "/api/auth/signup", None, &[], Some(&body))
        .await?;
    let token = signed_up.body["Value"]["AccessToken"]
        .as_str()
        .ok_or_else(|| format!("sign-up answered {}", signed_up.status))?
        .to_owned();
    let maker = signed_up.served_by();
    let cookie = format!("portal_session={token}");
    let mut other_answered = (false, false);
    for round in 0..6 {
        // Every other round one more request, so that round-robin does not hand each kind of
        // request to the same instance every time.
        if round % 2 == 1 {
            lb.call("GET", "/api/health", None, &[], None).await?;
        }
        let me = lb.call("GET", "/login/me", Some(&token), &[], None).await?;
        ensure(me.status == StatusCode::OK, || {
            format!("/login/me by {} answered {}", me.served_by(), me.status)
        })?;
        let page = lb
            .call("GET", "/profile", None, &[("cookie", &cookie)], None)
            .await?;
        ensure(page.status == StatusCode::OK, || {
            format!("/profile by {} answered {}", page.served_by(), page.status)
        })?;
        other_answered.0 |= me.served_by() != maker;
        other_answered.1 |= page.served_by() != maker;
    }
    ensure(other_answered == (true, true), || {
        format!("the instance other than {maker} never answered")
    })
}

async fn account_limit_spans_instances(lb: Balancer) -> Result<(), String> {
    let email = "limited@example.com";
    lb.sign_up(email).await?;
    let wrong = json!({"Email": email, "Password": "not the password at all"});
    let mut answered_by = BTreeSet::new();
    for attempt in 1..=ACCOUNT_LIMIT {
        let answer = lb
            .call("POST", "/api/auth/login", None, &[], Some(&wrong))
            .await?;
        ensure(answer.status == StatusCode::UNAUTHORIZED, || {
            format!("wrong password {attempt} answered {}", answer.status)
        })?;
        answered_by.insert(answer.served_by());
    }
    ensure(answered_by.len() == 2, || {
        format!("the failures reached only {answered_by:?}")
    })?;
    let right = json!({"Email": email, "Password": PASSWORD});
    for _ in 0..2 {
        let answer = lb
            .call("POST", "/api/auth/login", None, &[], Some(&right))
            .await?;
        ensure(answer.status == StatusCode::TOO_MANY_REQUESTS, || {
            format!(
                "after {ACCOUNT_LIMIT} failures instance {} answered {}",
                answer.served_by(),
                answer.status
            )
        })?;
    }
    Ok(())
}

async fn concurrent_fields_are_all_kept(lb: Balancer) -> Result<(), String> {
    const WRITES: usize = 25;
    let token = Arc::new(lb.sign_up("concurrent@example.com").await?);
    const FIELDS: [&str; 4] = ["Position", "Industry", "CompanyName", "CityName"];
    let writers: Vec<_> = FIELDS
        .into_iter()
        .map(|field| {
            let token = token.clone();
            tokio::spawn(async move {
                let mut served = BTreeSet::new();
                for n in 1..=WRITES {
                    let body = json!({ field: format!("{field} {n}") });
                    let answer = lb.patch(&token, None, &body).await?;
                    ensure(answer.status == StatusCode::OK, || {
                        format!("{field} write {n} answered {}", answer.status)
                    })?;
                    served.insert(answer.served_by());
                }
                Ok::<_, String>(served)
            })
        })
        .collect();
    let mut served = BTreeSet::new();
    for writer in writers {
        served.extend(writer.await.map_err(|error| error.to_string())??);
    }
    ensure(served.len() == 2, || format!("only {served:?} took writes"))?;
    let profile = lb.profile(&token).await?;
    for field in FIELDS {
        let stored = profile.body["Value"][field].as_str().unwrap_or("");
        ensure(stored == format!("{field} {WRITES}"), || {
            format!("{field} holds {stored:?}")
        })?;
    }
    let expected = 1 + (FIELDS.len() * WRITES) as i64;
    ensure(version(profile.header("etag")) == Some(expected), || {
        format!(
            "version {} after {} writes (expected {expected})",
            profile.header("etag"),
            FIELDS.len() * WRITES
        )
    })
}

async fn stale_if_match_everywhere(lb: Balancer) -> Result<(), String> {
    let token = lb.sign_up("stale@example.com").await?;
    let loaded = lb.profile(&token).await?;
    let stale = loaded.header("etag").to_owned();
    let moved = lb
        .patch(&token, Some(&stale), &json!({"Position": "First"}))
        .await?;
    ensure(moved.status == StatusCode::OK, || {
        format!("the first write answered {}", moved.status)
    })?;
    let mut refused_by = BTreeSet::new();
    for _ in 0..6 {
        let answer = lb
            .patch(&token, Some(&stale), &json!({"Position": "Lost"}))
            .await?;
        ensure(answer.status == StatusCode::PRECONDITION_FAILED, || {
            format!("instance {} answered {}", answer.served_by(), answer.status)
        })?;
        refused_by.insert(answer.served_by());
    }
    ensure(refused_by.len() == 2, || {
        format!("only {refused_by:?} were asked")
    })?;
    let position = lb.profile(&token).await?.body["Value"]["Position"].clone();
    ensure(position == json!("First"), || {
        format!("Position is {position}")
    })
}

async fn kill_one_under_load(lb: Balancer, victim: &mut Server) -> Result<(), String> {
    const CLIENTS: usize = 8;
    let mut tokens = Vec::new();
    for n in 0..CLIENTS {
        tokens.push(lb.sign_up(&format!("load{n}@example.com")).await?);
    }
    let running = Arc::new(AtomicBool::new(true));
    let killed = Arc::new(AtomicBool::new(false));
    let after_kill = Arc::new(AtomicU64::new(0));
    let writers: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(client, token)| {
            let token = token.clone();
            let (running, killed, after_kill) =
                (running.clone(), killed.clone(), after_kill.clone());
            tokio::spawn(async move {
                let (mut last_acked, mut refused) = (0u64, 0u64);
                let mut seq = 0u64;
                let mut connection = Connection::open(lb.0).await.ok();
                while running.load(Ordering::SeqCst) {
                    seq += 1;
                    let Some(open) = connection.as_mut() else {
                        connection = Connection::open(lb.0).await.ok();
                        continue;
                    };
                    let body = json!({"Position": format!("load {client} write {seq:08}")});
                    let request = lb.request(
                        "PATCH",
                        "/api/public/coworker/profile",
                        Some(&token),
                        &[],
                        Some(&body),
                    );
                    match open.exchange(request).await {
                        Ok((status, _, _)) if status.is_success() => {
                            last_acked = seq;
                            if killed.load(Ordering::SeqCst) {
                                after_kill.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        // Not acknowledged: the next write gets a higher number.
                        Ok(_) => refused += 1,
                        Err(_) => {
                            refused += 1;
                            connection = None;
                        }
                    }
                }
                (last_acked, refused)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    victim.kill();
    killed.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    running.store(false, Ordering::SeqCst);

    let mut problems = Vec::new();
    let mut not_acknowledged = 0;
    for (client, writer) in writers.into_iter().enumerate() {
        let (last_acked, refused) = writer.await.map_err(|error| error.to_string())?;
        not_acknowledged += refused;
        let profile = lb.profile(&tokens[client]).await?;
        let stored = profile.body["Value"]["Position"].as_str().unwrap_or("");
        let stored_seq: u64 = stored
            .rsplit(' ')
            .next()
            .and_then(|seq| seq.parse().ok())
            .unwrap_or(0);
        if stored_seq < last_acked || last_acked == 0 {
            problems.push(format!(
                "client {client}: write {last_acked} acknowledged, {stored:?} stored"
            ));
        }
    }
    let after = after_kill.load(Ordering::SeqCst);
    eprintln!(
        "kill under load: {after} writes acknowledged after the kill, {not_acknowledged} not \
         acknowledged around it"
    );
    if after == 0 {
        problems.push("no write was acknowledged after the kill".to_owned());
    }
    ensure(problems.is_empty(), || problems.join("; "))
}

/// The Playwright suite's chromium project against the balancer.
fn playwright(balancer: SocketAddr, mail: &MailSink) -> Result<(), String> {
    let end2end = Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end");
    let status = Command::new("npx")
        .args(["playwright", "test", "--project=chromium"])
        .current_dir(end2end)
        .env("PORTAL_E2E_BASE_URL", format!("http://{balancer}"))
        .env("PORTAL_E2E_MAIL_DIR", &mail.folder)
        .status()
        .map_err(|error| format!("cannot run Playwright: {error}"))?;
    ensure(status.success(), || {
        format!("Playwright exited with {status}")
    })
}
