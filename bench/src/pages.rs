//! The page rows of `make bench`: the server-rendered pages at 50 clients, taking turns with the
//! JSON read of the same profile (their yardstick), and each page's ratios to it.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use http::Request;
use http_body_util::Full;

use crate::{
    json_request,
    load::{self, Connection, MakeRequest, Stats},
    process::RssWatch,
    Row, Settings, Setup,
};

/// The concurrency of the page rows, each beside the JSON read of the same profile.
const PAGE_CLIENTS: usize = 50;
/// The page rows' names start with this; the JSON read's row beside them is `PAGE_JSON_READ`.
const PAGE_ROW: &str = "page ";
pub const PAGE_JSON_READ: &str = "yardstick of the pages: GET /en/profile (JSON read)";
/// The warm-up of each slice of a page row (new connections, then the same as the rest).
pub const PAGE_SLICE_WARM_UP: Duration = Duration::from_millis(250);
/// How many of the members show their profile in the directory.
const PUBLIC_MEMBERS: usize = 32;

/// The server-rendered pages at `PAGE_CLIENTS` clients, taking turns with the JSON read of the
/// same profile (their yardstick): `/login` signed out, the others with a member's session
/// cookie. Half the members are made public first, with a position, a company and a summary, so
/// the directory lists `PUBLIC_MEMBERS` cards.
pub async fn measure_pages(
    settings: &Settings,
    setup: Setup,
    addr: SocketAddr,
    members: &Arc<Vec<(String, String)>>,
    pids: &[u32],
    read: &MakeRequest,
) -> Result<Vec<Row>, String> {
    let mut connection = Connection::open(addr)
        .await
        .map_err(|error| error.to_string())?;
    for (n, (_, token)) in members.iter().take(PUBLIC_MEMBERS).enumerate() {
        let body = serde_json::json!({
            "ProfileIsPublic": true,
            "Position": "Engineer",
            "CompanyName": format!("Company {n}"),
            "ProfileSummary": format!("**Member {n}** builds *reliable* systems and writes about them."),
        });
        let (status, answer) = connection
            .send(json_request(
                "PATCH",
                addr,
                "/api/public/coworker/profile",
                Some(token),
                body.to_string(),
            ))
            .await
            .map_err(|error| error.to_string())?;
        if !status.is_success() {
            return Err(format!(
                "making member {n} public answered {status}: {}",
                String::from_utf8_lossy(&answer)
            ));
        }
    }
    let page = |path: &'static str, signed_in: bool| -> MakeRequest {
        let members = members.clone();
        Arc::new(move |client, _| {
            let mut request = Request::get(path).header("host", addr.to_string());
            if signed_in {
                let token = &members[client % members.len()].1;
                request = request.header(
                    "cookie",
                    format!(
                        "{}={token}",
                        app::server::identity::session_cookie::SESSION_COOKIE
                    ),
                );
            }
            request.body(Full::default()).expect("a valid request")
        })
    };
    let scenarios = [
        (PAGE_JSON_READ.to_owned(), read.clone()),
        (format!("{PAGE_ROW}GET /login"), page("/login", false)),
        (format!("{PAGE_ROW}GET /profile"), page("/profile", true)),
        (
            format!("{PAGE_ROW}GET /profile/professional"),
            page("/profile/professional", true),
        ),
        (
            format!("{PAGE_ROW}GET /directory ({PUBLIC_MEMBERS} cards)"),
            page("/directory", true),
        ),
    ];
    // Interleaved: every round measures each row for a slice of the time, so that a machine
    // that gets slower or faster during the run moves the JSON read and the pages alike
    // instead of whichever row ran at that moment.
    let rounds = page_rounds(settings.duration);
    let slice = settings.duration / rounds;
    let mut totals: Vec<(Stats, f64)> = scenarios.iter().map(|_| (Stats::default(), 0.0)).collect();
    for round in 1..=rounds {
        for ((name, make_request), (total, peak_mib)) in scenarios.iter().zip(&mut totals) {
            eprintln!(
                "{}: {name}, {PAGE_CLIENTS} clients, round {round} of {rounds}...",
                setup.name()
            );
            let watch = RssWatch::start_all(pids);
            let stats = load::run(
                addr,
                PAGE_CLIENTS,
                PAGE_SLICE_WARM_UP,
                slice,
                make_request.clone(),
            )
            .await;
            total.add(stats);
            *peak_mib = watch.peak_mib().max(*peak_mib);
        }
    }
    Ok(scenarios
        .into_iter()
        .zip(totals)
        .map(|((name, _), (stats, peak_mib))| Row {
            setup,
            name,
            clients: PAGE_CLIENTS,
            stats,
            peak_rss_mib: Some(peak_mib),
            stalls: 0,
        })
        .collect())
}

/// How many rounds the page rows take turns in: one per 2 s of `duration`, at most 10.
pub fn page_rounds(duration: Duration) -> u32 {
    (duration.as_secs() / 2).clamp(1, 10) as u32
}

/// Each page row against the JSON read measured beside it: the targets are at least 40% of its
/// requests per second and at most 3 times its p99.
pub fn print_page_ratios(rows: &[Row]) {
    for json in rows.iter().filter(|row| row.name == PAGE_JSON_READ) {
        let (json_rate, json_p99) = (
            json.stats.requests_per_sec(),
            json.stats.percentile_ms(0.99),
        );
        for row in rows
            .iter()
            .filter(|row| row.setup == json.setup && row.name.starts_with(PAGE_ROW))
        {
            let rate = row.stats.requests_per_sec() / json_rate;
            let p99 = row.stats.percentile_ms(0.99) / json_p99;
            let verdict = if rate >= 0.4 && p99 <= 3.0 {
                "meets"
            } else {
                "misses"
            };
            println!(
                "{}: {} does {:.0}% of the JSON read's req/s, p99 {:.2}x its p99 ({verdict} the 40% / 3x target)",
                json.setup.name(),
                row.name.trim_start_matches(PAGE_ROW),
                rate * 100.0,
                p99
            );
        }
    }
}
