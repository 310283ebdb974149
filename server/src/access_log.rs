//! One access-log line per request (at `info`, target `access`) and the request's id: taken from
//! `X-Request-Id` when a trusted proxy (`TRUSTED_PROXIES`) sent it, generated otherwise, sent back
//! in the response's `X-Request-Id` and attached to every log line of the request (its span).

use std::{net::SocketAddr, time::Instant};

use app::server::{identity::client::ClientInfo, state::AppState};
use axum::{
    extract::{ConnectInfo, MatchedPath, Request, State},
    http::HeaderValue,
    middleware::Next,
    response::Response,
};
use tracing::Instrument;

pub const REQUEST_ID: &str = "x-request-id";

/// The longest request id believed from a proxy; a longer one is replaced.
const MAX_ID_LENGTH: usize = 128;

/// A proxy's id if it is short visible ASCII (it is logged and echoed), else a new one.
fn request_id(from_proxy: Option<&HeaderValue>) -> String {
    from_proxy
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            !id.is_empty()
                && id.len() <= MAX_ID_LENGTH
                && id.bytes().all(|byte| byte.is_ascii_graphic())
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

pub async fn access_log(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let from_trusted_proxy = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|peer| state.security.trusted_proxies.contains(peer.0.ip()));
    let id = request_id(
        from_trusted_proxy
            .then(|| request.headers().get(REQUEST_ID))
            .flatten(),
    );
    // Cheap copies (an address, reference-counted strings); formatted only for a log line or a
    // metric that is on.
    let client = request
        .extensions()
        .get::<ClientInfo>()
        .map(|info| info.addr);
    let method = request.method().clone();
    let uri = request.uri().clone();
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    let route = matched.as_ref().map_or("-", MatchedPath::as_str);
    if crate::metrics::enabled() {
        metrics::counter!(
            crate::metrics::REQUESTS,
            "method" => method.to_string(),
            "route" => route.to_owned(),
            "status" => status.to_string()
        )
        .increment(1);
        metrics::histogram!(crate::metrics::REQUEST_SECONDS, "route" => route.to_owned())
            .record(elapsed);
    }
    span.in_scope(|| {
        tracing::info!(
            target: "access",
            %method,
            route,
            // The path without its query, which may carry a link's token.
            path = uri.path(),
            status,
            latency_ms = (elapsed * 1_000_000.0).round() / 1000.0,
            client = %client.map_or_else(|| "unknown".to_owned(), |addr| addr.to_string()),
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxys_id_is_kept_only_when_it_is_short_visible_ascii() {
        let kept = HeaderValue::from_static("lb-7f3a-0001");
        assert_eq!(request_id(Some(&kept)), "lb-7f3a-0001");
        for bad in ["", "has space", &"x".repeat(129)] {
            let value = HeaderValue::from_str(bad).expect("header value");
            let id = request_id(Some(&value));
            assert_eq!(id.len(), 32, "{bad:?} gave {id}");
            assert_ne!(id, bad);
        }
        assert_ne!(request_id(None), request_id(None));
    }
}
