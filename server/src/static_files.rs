//! How long browsers may keep the built site's files. Assets named by their content hash
//! (`/pkg/portal.<hash>.wasm`, ...) never change under their name: a year, immutable. Anything
//! else is revalidated. The files themselves are served precompressed (brotli or gzip, made at
//! build time) when the browser accepts it; every static answer says it varies by
//! `Accept-Encoding`, so caches keep the encodings apart.

use app::server::state::AppState;
use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::Response,
};

pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
pub const REVALIDATE: &str = "no-cache";

pub async fn cache_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let hashed = state.leptos_options.hash_files
        && request
            .uri()
            .path()
            .starts_with(&format!("/{}/", state.leptos_options.site_pkg_dir));
    let mut response = next.run(request).await;
    if !matches!(response.status(), StatusCode::OK | StatusCode::NOT_MODIFIED)
        || response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|value| value.as_bytes().starts_with(b"text/html"))
    {
        // The 404 page, or a page: not a file of the site.
        return response;
    }
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if hashed { IMMUTABLE } else { REVALIDATE }),
    );
    if !headers.contains_key(header::VARY) {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}
