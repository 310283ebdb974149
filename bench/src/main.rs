//! `make bench`: starts the release server on a fresh database, signs members up, checks that
//! it serves the files its pages link to, and measures the pages `/login`, `/profile`,
//! `/profile/professional` and `/directory` at 50 clients beside the JSON read of the same
//! profile (taking turns in rounds, so that the machine's drift during the run moves them
//! alike); then the soak (`soak.rs`: every page by every member at once, counting stalls); then
//! the profile PATCH, `GET /en/profile`, the server-rendered `/profile` and the
//! sign-in at 1, 8 and 64 clients; then the same PATCH transaction behind a bare axum handler
//! (the baseline); then the PATCH at 64 clients while 20 sign-ins a second run alongside. Prints
//! a Markdown table and each page's ratios to the JSON read, and fails if any answer was not a
//! 2xx.
//!
//! `bench site-check` checks that the server serves the files its pages load and measures each
//! page's wasm against `WASM_GZIP_BUDGET` (`bundle.rs`; `make bundle-check` runs it on the
//! release build). `bench crash-test` is `make crash-test` (see
//! `crash.rs`); `bench cluster-test` is `make test-cluster` (see `cluster.rs`); `bench
//! baseline-server` is the baseline's own process.
//!
//! Environment: `BENCH_SECS` (default 20) per measurement, `BENCH_CLIENTS` (default `1,8,64`),
//! `BENCH_ONLY` (some of `pages,soak,patch,read,page,signin,mixed,baseline`; default all),
//! `SOAK_SECS` (default 60), `PORTAL_SERVER` (default `target/release/server`),
//! `LEPTOS_SITE_ROOT` (default `target/site`).

mod baseline;
mod bundle;
mod cluster;
mod crash;
mod load;
mod mail_sink;
mod pages;
mod process;
mod soak;

use std::{
    net::SocketAddr,
    process::{Command, ExitCode},
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use load::{Connection, MakeRequest, Stats};
use pages::{measure_pages, page_rounds, print_page_ratios, PAGE_JSON_READ, PAGE_SLICE_WARM_UP};
use process::{free_addr, RssWatch, Server};

const PASSWORD: &str = "a quiet harbour at dusk";
const MEMBERS: usize = 64;
const SIGN_INS_PER_SEC: u32 = 20;
const WARM_UP: Duration = Duration::from_secs(1);

struct Settings {
    duration: Duration,
    /// How long the soak runs (`SOAK_SECS`).
    soak: Duration,
    /// Which groups of rows to measure (all when empty).
    only: Vec<String>,
    clients: Vec<usize>,
    server: String,
    site_root: String,
}

fn settings() -> Result<Settings, String> {
    let var =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let secs: u64 = var("BENCH_SECS", "20")
        .parse()
        .map_err(|_| "BENCH_SECS must be a whole number of seconds".to_owned())?;
    let clients = var("BENCH_CLIENTS", "1,8,64")
        .split(',')
        .map(|n| n.trim().parse::<usize>().ok().filter(|n| *n > 0))
        .collect::<Option<Vec<_>>>()
        .ok_or("BENCH_CLIENTS must be a list like 1,8,64")?;
    let soak_secs: u64 = var("SOAK_SECS", "60")
        .parse()
        .map_err(|_| "SOAK_SECS must be a whole number of seconds".to_owned())?;
    Ok(Settings {
        duration: Duration::from_secs(secs.max(1)),
        soak: Duration::from_secs(soak_secs.max(1)),
        only: var("BENCH_ONLY", "")
            .split(',')
            .map(|key| key.trim().to_owned())
            .filter(|key| !key.is_empty())
            .collect(),
        clients,
        server: var("PORTAL_SERVER", "target/release/server"),
        site_root: var("LEPTOS_SITE_ROOT", "target/site"),
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("baseline-server") {
        let (Some(database), Some(Ok(addr))) = (args.get(2), args.get(3).map(|a| a.parse())) else {
            eprintln!("usage: bench baseline-server DATABASE ADDRESS");
            return ExitCode::FAILURE;
        };
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        return match runtime.block_on(baseline::serve(database, addr)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        };
    }
    // The load generator runs on one thread, leaving the other core to the server.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let checks = match args.get(1).map(String::as_str) {
        Some("crash-test") => Some(runtime.block_on(crash_test())),
        Some("site-check") => Some(runtime.block_on(bundle::site_check())),
        Some("cluster-test") => Some(runtime.block_on(async {
            let settings = settings()?;
            cluster::run(&settings.server, &settings.site_root).await
        })),
        _ => None,
    };
    if let Some(checks) = checks {
        return match checks {
            Ok((passed, failed)) => {
                println!("{passed} passed, {failed} failed");
                if failed == 0 {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        };
    }
    match runtime.block_on(bench()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("error: some requests were not answered with 2xx (see the table)");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

impl Settings {
    fn wants(&self, key: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|wanted| wanted == key)
    }
}

struct Row {
    setup: Setup,
    name: String,
    clients: usize,
    stats: Stats,
    peak_rss_mib: Option<f64>,
    /// Answers slower than `soak::STALL`, or none (the soak's row; 0 elsewhere).
    stalls: u64,
}

async fn crash_test() -> Result<(usize, usize), String> {
    let settings = settings()?;
    let rounds: usize = std::env::var("CRASH_ROUNDS")
        .unwrap_or_else(|_| "50".to_owned())
        .parse()
        .map_err(|_| "CRASH_ROUNDS must be a whole number".to_owned())?;
    crash::run(&settings.server, &settings.site_root, rounds).await
}

fn json_request(
    method: &str,
    addr: SocketAddr,
    path: &str,
    token: Option<&str>,
    body: String,
) -> Request<Full<Bytes>> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string())
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request
        .body(Full::new(Bytes::from(body)))
        .expect("a valid request")
}

/// Signs `count` members up, each from the loopback address its load client will use (the
/// server limits sign-ups per address, as for real visitors); their e-mail addresses and tokens.
async fn sign_up(addr: SocketAddr, count: usize) -> Result<Vec<(String, String)>, String> {
    let mut members = Vec::new();
    for n in 0..count {
        let mut connection = Connection::open_from(addr, load::source(n))
            .await
            .map_err(|error| error.to_string())?;
        let email = format!("bench{n}@example.com");
        let body = serde_json::json!({"Email": email, "Password": PASSWORD, "FullName": format!("Member {n}")});
        let (status, answer) = connection
            .send(json_request(
                "POST",
                addr,
                "/api/auth/signup",
                None,
                body.to_string(),
            ))
            .await
            .map_err(|error| error.to_string())?;
        let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap_or_default();
        let token = answer["Value"]["AccessToken"]
            .as_str()
            .filter(|_| status.is_success())
            .ok_or_else(|| format!("sign-up {n} answered {status}: {answer}"))?;
        members.push((email, token.to_owned()));
    }
    Ok(members)
}

/// Where the portal runs for a group of rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Setup {
    Sqlite,
    /// One instance on PostgreSQL.
    Postgres,
    /// One instance on PostgreSQL with group commit (`PROFILE_WRITES=batched`): PATCH only, to
    /// compare with the default of a transaction per update.
    PostgresBatched,
    /// Two instances on one PostgreSQL database behind HAProxy (deploy/haproxy.cfg).
    PostgresTwo,
}

impl Setup {
    fn name(self) -> &'static str {
        match self {
            Setup::Sqlite => "SQLite",
            Setup::Postgres => "PostgreSQL",
            Setup::PostgresBatched => "PostgreSQL, group commit",
            Setup::PostgresTwo => "PostgreSQL, 2 instances + HAProxy",
        }
    }

    /// The setups of this run: SQLite alone, or, when `PORTAL_TEST_POSTGRES` names a server,
    /// SQLite, PostgreSQL and two instances on PostgreSQL, one after the other.
    fn of_this_run() -> Vec<Setup> {
        match app::server::store::scratch::postgres_server() {
            Some(_) => vec![
                Setup::Sqlite,
                Setup::Postgres,
                Setup::PostgresBatched,
                Setup::PostgresTwo,
            ],
            None => vec![Setup::Sqlite],
        }
    }

    /// A new, empty database for this setup.
    async fn database(self, dir: &std::path::Path, name: &str) -> Result<String, String> {
        let dir = dir.join(name);
        std::fs::create_dir_all(&dir).map_err(|error| error.to_string())?;
        let url = match self {
            Setup::Sqlite => Ok(format!("sqlite://{}", dir.join("portal.db").display())),
            Setup::Postgres | Setup::PostgresBatched | Setup::PostgresTwo => {
                app::server::store::scratch::database_url(&dir).await
            }
        };
        url.map_err(|error| error.to_string())
    }
}

async fn bench() -> Result<bool, String> {
    let settings = settings()?;
    let dir = std::env::temp_dir().join(format!("portal-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|error| error.to_string())?;
    let mut rows = Vec::new();
    let mut result = Ok(());
    for setup in Setup::of_this_run() {
        match measure(&settings, &dir, setup).await {
            Ok(mut measured) => rows.append(&mut measured),
            Err(error) => {
                result = Err(error);
                break;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    result?;
    print_table(&settings, &rows);
    Ok(rows
        .iter()
        .all(|row| row.stats.non_2xx == 0 && row.stats.failed == 0 && row.stalls == 0))
}

/// Where the servers the benchmark starts write their mail (there is no SMTP server here).
pub fn scratch_outbox() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("portal-bench-outbox-{}", std::process::id()))
}

/// The portal's command for one instance of `setup` on `database` at `addr`.
fn portal(settings: &Settings, setup: Setup, database: &str, addr: SocketAddr) -> Command {
    let mut command = Command::new(&settings.server);
    if setup == Setup::PostgresBatched {
        command.env("PROFILE_WRITES", "batched");
    }
    command
        .env("DATABASE_URL", database)
        .env("LEPTOS_SITE_ADDR", addr.to_string())
        .env("LEPTOS_SITE_ROOT", &settings.site_root)
        // Behind HAProxy the members' own addresses come in X-Forwarded-For.
        .env("TRUSTED_PROXIES", "127.0.0.1")
        // Sign-ins from new browsers queue notices: written to a folder of the run's own.
        .env("MAIL_OUTBOX", scratch_outbox())
        .env("RUST_LOG", "warn")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_API_KEY");
    command
}

/// The portal as `setup` runs it.
struct Portal {
    /// Where the load goes: the instance, or the balancer in front of two.
    addr: SocketAddr,
    instances: Vec<Server>,
    /// Runs while the portal is measured; stopped with it.
    _balancer: Option<Server>,
}

async fn start_portal(settings: &Settings, setup: Setup, database: &str) -> Result<Portal, String> {
    let addr = free_addr();
    if setup != Setup::PostgresTwo {
        let server =
            Server::start(portal(settings, setup, database, addr), addr, "/api/health").await?;
        return Ok(Portal {
            addr,
            instances: vec![server],
            _balancer: None,
        });
    }
    let (a, b) = (free_addr(), free_addr());
    let first = Server::start(portal(settings, setup, database, a), a, "/api/health").await?;
    let second = Server::start(portal(settings, setup, database, b), b, "/api/health").await?;
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/haproxy.cfg");
    let mut haproxy = Command::new("haproxy");
    haproxy
        .arg("-f")
        .arg(config)
        .arg("-db")
        .env("PORTAL_LISTEN", addr.to_string())
        .env("PORTAL_A", a.to_string())
        .env("PORTAL_B", b.to_string());
    let balancer = Server::start(haproxy, addr, "/api/health").await?;
    // Both instances in rotation before the clock starts.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    Ok(Portal {
        addr,
        instances: vec![first, second],
        _balancer: Some(balancer),
    })
}

async fn measure(
    settings: &Settings,
    dir: &std::path::Path,
    setup: Setup,
) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let database = setup.database(dir, "portal").await?;
    let portal = start_portal(settings, setup, &database).await?;
    let addr = portal.addr;
    // The memory of the portal's instances, not the balancer's.
    let portal_pids: Vec<u32> = portal.instances.iter().map(Server::pid).collect();
    eprintln!(
        "{}: portal {} on http://{addr}",
        setup.name(),
        settings.server
    );
    let assets = process::check_site(addr).await?;
    eprintln!(
        "{}: /login's {} stylesheet, script and wasm files are served",
        setup.name(),
        assets.len()
    );
    let members = Arc::new(sign_up(addr, MEMBERS).await?);

    let patch: MakeRequest = {
        let members = members.clone();
        Arc::new(move |client, seq| {
            let body = format!(r#"{{"Position":"Engineer {seq}"}}"#);
            let token = &members[client % members.len()].1;
            json_request(
                "PATCH",
                addr,
                "/api/public/coworker/profile",
                Some(token),
                body,
            )
        })
    };
    let read: MakeRequest = {
        let members = members.clone();
        Arc::new(move |client, _| {
            let token = &members[client % members.len()].1;
            json_request("GET", addr, "/en/profile", Some(token), String::new())
        })
    };
    let page: MakeRequest = {
        let members = members.clone();
        Arc::new(move |client, _| {
            let token = &members[client % members.len()].1;
            Request::get("/profile")
                .header("host", addr.to_string())
                .header(
                    "cookie",
                    format!(
                        "{}={token}",
                        app::server::identity::session_cookie::SESSION_COOKIE
                    ),
                )
                .body(Full::default())
                .expect("a valid request")
        })
    };
    let sign_in: MakeRequest = {
        let members = members.clone();
        Arc::new(move |client, _| {
            let email = &members[client % members.len()].0;
            let body = serde_json::json!({"Email": email, "Password": PASSWORD}).to_string();
            json_request("POST", addr, "/api/auth/login", None, body)
        })
    };

    if settings.wants("pages") && setup != Setup::PostgresBatched {
        rows.append(
            &mut measure_pages(settings, setup, addr, &members, &portal_pids, &read).await?,
        );
    }
    if settings.wants("soak") && setup != Setup::PostgresBatched {
        eprintln!(
            "{}: soak, every page by {MEMBERS} members at once for {} s...",
            setup.name(),
            settings.soak.as_secs()
        );
        let tokens = Arc::new(members.iter().map(|(_, token)| token.clone()).collect());
        let watch = RssWatch::start_all(&portal_pids);
        let soak = soak::run(addr, tokens, MEMBERS, settings.soak).await;
        rows.push(Row {
            setup,
            name: format!(
                "soak: every page for {} s, each client a member ({} stalls over {} s)",
                settings.soak.as_secs(),
                soak.stalls,
                soak::STALL.as_secs()
            ),
            clients: soak.clients,
            stats: soak.stats,
            peak_rss_mib: Some(watch.peak_mib()),
            stalls: soak.stalls,
        });
    }

    let scenarios = [
        ("patch", "PATCH /api/public/coworker/profile", &patch),
        ("read", "GET /en/profile", &read),
        ("page", "GET /profile (SSR page)", &page),
        ("signin", "POST /api/auth/login (argon2)", &sign_in),
    ];
    for (key, name, make_request) in scenarios {
        // Group commit on PostgreSQL is measured for what it changes: the PATCH.
        if !settings.wants(key) || (setup == Setup::PostgresBatched && key != "patch") {
            continue;
        }
        for &clients in &settings.clients {
            eprintln!("{}: {name}, {clients} client(s)...", setup.name());
            let watch = RssWatch::start_all(&portal_pids);
            let stats = load::run(
                addr,
                clients,
                WARM_UP,
                settings.duration,
                make_request.clone(),
            )
            .await;
            rows.push(Row {
                setup,
                name: name.to_owned(),
                clients,
                stats,
                peak_rss_mib: Some(watch.peak_mib()),
                stalls: 0,
            });
        }
    }

    let clients = settings.clients.iter().copied().max().unwrap_or(64);
    if settings.wants("mixed") && setup != Setup::PostgresBatched {
        eprintln!(
            "{}: PATCH with {SIGN_INS_PER_SEC} sign-ins/s alongside, {clients} client(s)...",
            setup.name()
        );
        let watch = RssWatch::start_all(&portal_pids);
        let end = Instant::now() + WARM_UP + settings.duration;
        let (stats, (sign_ins, refused)) = tokio::join!(
            load::run(addr, clients, WARM_UP, settings.duration, patch.clone()),
            load::paced(addr, SIGN_INS_PER_SEC, end, sign_in.clone()),
        );
        rows.push(Row {
            setup,
            name: format!(
                "PATCH + {SIGN_INS_PER_SEC} sign-ins/s ({sign_ins} sent, {refused} not 2xx)"
            ),
            clients,
            stats: Stats {
                non_2xx: stats.non_2xx + refused,
                ..stats
            },
            peak_rss_mib: Some(watch.peak_mib()),
            stalls: 0,
        });
    }
    for pid in &portal_pids {
        if let Some(peak) = process::memory_kib(*pid, "VmHWM") {
            eprintln!(
                "{}: portal process {pid} peak RSS over the whole run: {:.1} MiB",
                setup.name(),
                peak as f64 / 1024.0
            );
        }
    }
    drop(portal);

    // One baseline per backend: two instances share the one-instance setup's.
    if !settings.wants("baseline") || matches!(setup, Setup::PostgresTwo | Setup::PostgresBatched) {
        return Ok(rows);
    }
    let baseline_addr = free_addr();
    let mut command = Command::new(std::env::current_exe().map_err(|error| error.to_string())?);
    command
        .arg("baseline-server")
        .arg(setup.database(dir, "baseline").await?)
        .arg(baseline_addr.to_string());
    let baseline = Server::start(command, baseline_addr, "/health").await?;
    let bare: MakeRequest = Arc::new(move |client, seq| {
        let body = format!(r#"{{"Position":"Engineer {seq}"}}"#);
        let id = client as i64 % baseline::PROFILES + 1;
        json_request(
            "PATCH",
            baseline_addr,
            &format!("/baseline/profile/{id}"),
            None,
            body,
        )
    });
    for &clients in &settings.clients {
        eprintln!("{}: baseline PATCH, {clients} client(s)...", setup.name());
        let watch = RssWatch::start(baseline.pid());
        let stats = load::run(
            baseline_addr,
            clients,
            WARM_UP,
            settings.duration,
            bare.clone(),
        )
        .await;
        rows.push(Row {
            setup,
            name: "baseline: bare axum, same transaction".to_owned(),
            clients,
            stats,
            peak_rss_mib: Some(watch.peak_mib()),
            stalls: 0,
        });
    }
    Ok(rows)
}

fn print_table(settings: &Settings, rows: &[Row]) {
    let rounds = page_rounds(settings.duration);
    let turns = if rows.iter().any(|row| row.name == PAGE_JSON_READ) {
        format!(
            "; the page rows and their yardstick take turns in {rounds} rounds of {:.1} s each \
             (after {} ms of warm-up each)",
            (settings.duration / rounds).as_secs_f64(),
            PAGE_SLICE_WARM_UP.as_millis()
        )
    } else {
        String::new()
    };
    println!(
        "\n{} s per row after 1 s of warm-up, on {} CPU(s){turns}.\n",
        settings.duration.as_secs(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    println!(
        "| database | what | clients | req/s | p50 ms | p99 ms | max ms | non-2xx | server peak RSS MiB |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let errors = row.stats.non_2xx + row.stats.failed;
        println!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.1} | {} | {} |",
            row.setup.name(),
            row.name,
            row.clients,
            row.stats.requests_per_sec(),
            row.stats.percentile_ms(0.5),
            row.stats.percentile_ms(0.99),
            row.stats.max_ms(),
            errors,
            row.peak_rss_mib
                .map_or("-".to_owned(), |mib| format!("{mib:.1}")),
        );
    }
    println!();
    print_page_ratios(rows);
    for setup in [
        Setup::Sqlite,
        Setup::Postgres,
        Setup::PostgresBatched,
        Setup::PostgresTwo,
    ] {
        // Every PostgreSQL setup is compared with the PostgreSQL baseline.
        let baseline_setup = match setup {
            Setup::Sqlite => Setup::Sqlite,
            _ => Setup::Postgres,
        };
        for &clients in &settings.clients {
            let rate = |setup: Setup, prefix: &str| {
                rows.iter()
                    .find(|row| {
                        row.setup == setup && row.clients == clients && row.name.starts_with(prefix)
                    })
                    .map(|row| row.stats.requests_per_sec())
            };
            if let (Some(portal), Some(bare)) =
                (rate(setup, "PATCH /api"), rate(baseline_setup, "baseline"))
            {
                println!(
                    "{}: PATCH at {clients} client(s) does {:.2}x the bare baseline's throughput",
                    setup.name(),
                    portal / bare
                );
            }
        }
    }
}
