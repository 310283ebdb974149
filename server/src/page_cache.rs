//! A short-lived cache of the pages a signed-out visitor gets: sign-in, sign-up and the
//! forgotten-password form.
//!
//! Without a session such a page depends only on its address (`/login?next=...`), the build,
//! and for sign-up the password policy of new members; every visitor gets the same HTML but for
//! the CSP nonce. Rendering it was about 1.6 ms of CPU a request (issue 19: `/login` did 1,250
//! requests/s where the JSON read did 19,000), so a burst of visitors, or of clients hammering
//! the sign-in page, costs the whole server. Here the first render of an address is kept for
//! `TTL` with its nonce replaced by a placeholder, and later visitors get it with their own nonce.
//!
//! - A request that presents a session (cookie or bearer token, valid or not) is never served
//!   from the cache or stored in it, so a member always sees their own page.
//! - Only 200 answers without `Set-Cookie` are kept.
//! - At most `MAX_ENTRIES` addresses of at most `MAX_KEY_BYTES` each; past that a miss is
//!   rendered as before, so unique query strings cost what they always did and no more memory.
//! - A change of policy (or, later, closing sign-up) shows within `TTL`; the server checks the
//!   policy again on every sign-up anyway.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use app::server::{identity::session_cookie::presented_token, web::security::CspNonce};
use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// The pages kept (paths without the query).
pub const CACHED_PATHS: [&str; 3] = ["/login", "/signup", "/password/forgot"];
/// How long a rendered page is served again.
pub const TTL: Duration = Duration::from_secs(2);
const MAX_ENTRIES: usize = 64;
const MAX_KEY_BYTES: usize = 256;
/// Larger than any page the portal renders; a body beyond it is an error, as a broken stream is.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Stands for the nonce in a kept page. Letters only: it never occurs in a page by chance.
const NONCE_SLOT: &str = "portalcachednonceslotportal";

#[derive(Clone, Default)]
pub struct PageCache(Arc<Mutex<HashMap<String, Entry>>>);

#[derive(Clone)]
struct Entry {
    rendered_at: Instant,
    headers: HeaderMap,
    /// The page's HTML with `NONCE_SLOT` for its nonce.
    html: Arc<str>,
}

impl PageCache {
    fn get(&self, key: &str, now: Instant) -> Option<Entry> {
        let entries = self.0.lock().ok()?;
        entries
            .get(key)
            .filter(|entry| now.duration_since(entry.rendered_at) < TTL)
            .cloned()
    }

    fn put(&self, key: String, entry: Entry) {
        let Ok(mut entries) = self.0.lock() else {
            return;
        };
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            let now = entry.rendered_at;
            entries.retain(|_, kept| now.duration_since(kept.rendered_at) < TTL);
            if entries.len() >= MAX_ENTRIES {
                return;
            }
        }
        entries.insert(key, entry);
    }
}

/// The cache key of a request whose answer may be kept, if it is one.
fn cache_key(request: &Request) -> Option<String> {
    let uri = request.uri();
    let cacheable = request.method() == Method::GET
        && CACHED_PATHS.contains(&uri.path())
        && presented_token(request.headers()).is_none();
    let key = uri.path_and_query()?.as_str();
    (cacheable && key.len() <= MAX_KEY_BYTES).then(|| key.to_owned())
}

pub async fn serve_signed_out_pages(
    State(cache): State<PageCache>,
    request: Request,
    next: Next,
) -> Response {
    let nonce = request
        .extensions()
        .get::<CspNonce>()
        .map(|nonce| nonce.0.clone());
    let (Some(key), Some(nonce)) = (cache_key(&request), nonce.filter(|n| n.len() >= 16)) else {
        return next.run(request).await;
    };
    if let Some(entry) = cache.get(&key, Instant::now()) {
        return page(entry.headers, entry.html.replace(NONCE_SLOT, &nonce));
    }
    let rendered_at = Instant::now();
    let response = next.run(request).await;
    let keep =
        response.status() == StatusCode::OK && !response.headers().contains_key(header::SET_COOKIE);
    if !keep {
        return response;
    }
    let (parts, body) = response.into_parts();
    let html = match to_bytes(body, MAX_BODY_BYTES).await.map(Vec::<u8>::from) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(html) => html,
            Err(error) => return (parts, Body::from(error.into_bytes())).into_response(),
        },
        Err(error) => {
            tracing::error!(%error, page = %key, "rendering a page failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    cache.put(
        key,
        Entry {
            rendered_at,
            headers: parts.headers.clone(),
            html: html.replace(&nonce, NONCE_SLOT).into(),
        },
    );
    page(parts.headers, html)
}

fn page(mut headers: HeaderMap, html: String) -> Response {
    headers.remove(header::CONTENT_LENGTH);
    headers.remove(header::TRANSFER_ENCODING);
    let mut response = Body::from(html).into_response();
    *response.headers_mut() = headers;
    response
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::{http::Request as HttpRequest, middleware, Router};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    /// The cache in front of a page that counts its renders and shows its nonce and address.
    fn app(renders: Arc<AtomicUsize>) -> Router {
        let render = move |request: Request| {
            let renders = renders.clone();
            async move {
                renders.fetch_add(1, Ordering::SeqCst);
                let nonce = request.extensions().get::<CspNonce>().map(|n| n.0.clone());
                (
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    format!(
                        "<script nonce=\"{}\"></script>{}",
                        nonce.unwrap_or_default(),
                        request.uri()
                    ),
                )
            }
        };
        Router::new()
            .fallback(render)
            .layer(middleware::from_fn_with_state(
                PageCache::default(),
                serve_signed_out_pages,
            ))
    }

    async fn get(app: &Router, method: Method, uri: &str, nonce: &str, cookie: bool) -> String {
        let mut request = HttpRequest::builder().method(method).uri(uri);
        if cookie {
            request = request.header(header::COOKIE, "portal_session=anything");
        }
        let mut request = request.body(Body::empty()).expect("request");
        request.extensions_mut().insert(CspNonce(nonce.to_owned()));
        let response = app.clone().oneshot(request).await.expect("answer");
        let body = response.into_body().collect().await.expect("body");
        String::from_utf8(body.to_bytes().to_vec()).expect("utf-8")
    }

    #[tokio::test]
    async fn a_signed_out_page_is_rendered_once_and_each_copy_has_its_own_nonce() {
        let renders = Arc::new(AtomicUsize::new(0));
        let app = app(renders.clone());
        let (first, second) = ("a".repeat(32), "b".repeat(32));
        let count = || renders.load(Ordering::SeqCst);

        let page = get(&app, Method::GET, "/login", &first, false).await;
        assert_eq!(page, format!("<script nonce=\"{first}\"></script>/login"));
        let again = get(&app, Method::GET, "/login", &second, false).await;
        assert_eq!(again, format!("<script nonce=\"{second}\"></script>/login"));
        assert_eq!(count(), 1, "the second visitor got the kept page");

        // Another query is another page; so is every other path.
        get(&app, Method::GET, "/login?next=/profile", &first, false).await;
        assert_eq!(count(), 2);
        get(&app, Method::GET, "/login?next=/profile", &second, false).await;
        assert_eq!(count(), 2);
        for _ in 0..2 {
            get(&app, Method::GET, "/profile", &first, false).await;
        }
        assert_eq!(count(), 4);

        // A request with a session, or one that is not a GET, is always rendered.
        for _ in 0..2 {
            get(&app, Method::GET, "/login", &first, true).await;
            get(&app, Method::POST, "/login", &first, false).await;
        }
        assert_eq!(count(), 8);
    }
}
