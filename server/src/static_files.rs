//! The files of the built site (wasm, js, css, assets), served from `LEPTOS_SITE_ROOT`, and the
//! 404 page for anything else.
//!
//! Files are served precompressed (brotli or gzip, made at build time) when the browser accepts
//! it, answer conditional requests (`If-Modified-Since`: 304) and ranges, and say how long they
//! may be kept: assets named by their content hash (`/pkg/portal.<hash>.wasm`, ...) never change
//! under their name, so a year, immutable; anything else is revalidated. Every file answer says
//! it varies by `Accept-Encoding`, so caches keep the encodings apart.
//!
//! (leptos_axum's `file_and_error_handler` serves files too, but it drops the conditional
//! headers, so a revalidation got the whole file, and it runs the file response through a
//! reactive owner whose context can carry another response's status: under load a favicon
//! revalidated while a 404 page rendered came back as a 404. Here it only renders the 404.)

use app::{server::state::AppState, shell};
use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, request::Parts, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
};
use tower::ServiceExt;
use tower_http::services::ServeDir;

pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
pub const REVALIDATE: &str = "no-cache";

/// The request headers a file answer depends on.
const FILE_HEADERS: [header::HeaderName; 6] = [
    header::ACCEPT_ENCODING,
    header::IF_MODIFIED_SINCE,
    header::IF_UNMODIFIED_SINCE,
    header::IF_NONE_MATCH,
    header::RANGE,
    header::IF_RANGE,
];

pub async fn site_file_or_not_found(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if matches!(parts.method, Method::GET | Method::HEAD) {
        if let Some(response) = site_file(&state, &parts).await {
            return response;
        }
    }
    // The 404 page has the frame too, which names who is signed in.
    crate::client_context::look_up(&state, &parts).await;
    let uri = parts.uri.clone();
    let request = Request::from_parts(parts, body);
    leptos_axum::file_and_error_handler::<AppState, _>(shell)(uri, State(state), request).await
}

/// The file a request with these parts asks for, or `None` when there is none.
async fn site_file(state: &AppState, request: &Parts) -> Option<Response> {
    let options = &state.leptos_options;
    let mut file_request = Request::builder()
        .method(request.method.clone())
        .uri(request.uri.clone());
    for name in FILE_HEADERS {
        for value in request.headers.get_all(&name) {
            file_request = file_request.header(&name, value);
        }
    }
    let file_request = file_request.body(Body::empty()).ok()?;
    let response = ServeDir::new(&*options.site_root)
        .precompressed_br()
        .precompressed_gzip()
        .oneshot(file_request)
        .await
        .ok()?;
    if response.status() == StatusCode::NOT_FOUND {
        return None;
    }
    let mut response = response.into_response();
    let hashed = options.hash_files
        && request
            .uri
            .path()
            .starts_with(&format!("/{}/", options.site_pkg_dir));
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if hashed { IMMUTABLE } else { REVALIDATE }),
    );
    if !headers.contains_key(header::VARY) {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    Some(response)
}
