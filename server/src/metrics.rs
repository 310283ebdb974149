//! Prometheus metrics at `/metrics` on a listener of their own (`METRICS_ADDR`, off by default),
//! never on the public address: requests by route and status with latency histograms (recorded
//! by `access_log`), profile-write batch sizes and queue depth, the size of SQLite's write-ahead
//! log at the writer's last checkpoint, forms rendered or taken from their memo, password-hashing
//! slots busy and waiting, database connections in use, throttle refusals and drafts by backend
//! and outcome.
//! Gauges of current state are read when scraped.

use std::sync::atomic::{AtomicBool, Ordering};

use app::server::{identity::passwords, state::AppState, web::island_memo};
use axum::{extract::State, routing::get, Router};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

/// Whether a recorder is installed: without one, the request path builds no labels.
static INSTALLED: AtomicBool = AtomicBool::new(false);

pub fn enabled() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

pub const REQUESTS: &str = "portal_http_requests_total";
pub const REQUEST_SECONDS: &str = "portal_http_request_duration_seconds";

/// Installs the process's recorder; what `/metrics` renders from.
pub fn install() -> Result<PrometheusHandle, BuildError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(REQUEST_SECONDS.to_owned()),
            &[
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ],
        )?
        .set_buckets_for_metric(
            Matcher::Full("portal_profile_write_batch_size".to_owned()),
            &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0],
        )?
        .install_recorder()?;
    INSTALLED.store(true, Ordering::Relaxed);
    metrics::describe_counter!(
        REQUESTS,
        "HTTP requests answered, by method, route and status."
    );
    metrics::describe_histogram!(
        REQUEST_SECONDS,
        metrics::Unit::Seconds,
        "Time to answer a request, by route."
    );
    metrics::describe_histogram!(
        "portal_profile_write_batch_size",
        "Profile updates committed together by the batched writer."
    );
    metrics::describe_counter!(
        "portal_throttle_refusals_total",
        "Requests refused by a throttle, by the events it counts."
    );
    metrics::describe_counter!(
        "portal_drafts_total",
        "Profile drafts asked for, by backend and outcome."
    );
    metrics::describe_gauge!(
        "portal_profile_write_queue_depth",
        "Profile updates waiting for the batched writer."
    );
    metrics::describe_gauge!(
        "portal_sqlite_wal_frames",
        "Pages in SQLite's write-ahead log at the profile writer's last checkpoint."
    );
    metrics::describe_counter!(
        "portal_island_renders_total",
        "Forms (islands) put into pages, by island and whether they came from the memo or were rendered."
    );
    metrics::describe_gauge!(
        "portal_island_memo_bytes",
        "Bytes of keys and HTML held by the memo of rendered forms."
    );
    metrics::describe_gauge!(
        "portal_password_hashing_slots",
        "Password-hashing slots busy, and hashes waiting for one."
    );
    metrics::describe_gauge!(
        "portal_database_connections",
        "Open database connections, in use and idle."
    );
    Ok(handle)
}

/// The metrics listener's router.
pub fn router(handle: PrometheusHandle, state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state((handle, state))
}

async fn scrape(State((handle, state)): State<(PrometheusHandle, AppState)>) -> String {
    let (busy, waiting) = passwords::slots_busy_and_waiting();
    metrics::gauge!("portal_password_hashing_slots", "state" => "busy").set(busy as f64);
    metrics::gauge!("portal_password_hashing_slots", "state" => "waiting").set(waiting as f64);
    metrics::gauge!("portal_profile_write_queue_depth")
        .set(state.profile_writer.queue_depth() as f64);
    metrics::gauge!("portal_island_memo_bytes").set(island_memo::held_bytes() as f64);
    let (open, idle) = state.store.pool_use();
    metrics::gauge!("portal_database_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("portal_database_connections", "state" => "in_use")
        .set(f64::from(open).max(idle as f64) - idle as f64);
    handle.render()
}
