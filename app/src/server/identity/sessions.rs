//! Sessions: random bearer tokens, stored only as their SHA-256, expiring on a sliding window.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};

use std::sync::Arc;

use http::{Extensions, HeaderMap};
use tokio::sync::OnceCell;

use crate::model::security::EventKind;
use crate::server::{
    clock,
    error::ServiceError,
    identity::client::{is_https, Origin},
    identity::session_cookie::{presented_token, session_cookie, CookieRenewal, Credential},
    store::{
        mail::NewMail,
        sessions::{MemberBanner, NewSession, StoredSession},
        Store,
    },
};

/// What a disabled member is told once their password (or passkey) was right: no session
/// starts for them.
pub fn disabled() -> ServiceError {
    ServiceError::Forbidden(
        "This account is disabled by the portal's operator; ask them to enable it again."
            .to_owned(),
    )
}

/// 256 random bits per token.
const TOKEN_BYTES: usize = 32;
/// A session's last-seen time (and so its expiry) is refreshed at most this often.
const TOUCH_INTERVAL_SECS: i64 = 60;
/// The browser is sent the cookie again, with a Max-Age that follows the extended expiry, at
/// most this often per session.
pub const COOKIE_REISSUE_SECS: i64 = 24 * 60 * 60;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub user_id: i64,
    pub active_profile_id: i64,
    pub expires_at: i64,
    /// This request extended the session and its cookie is due to be sent again.
    pub renew_cookie: bool,
}

/// A freshly issued token: shown to the client once, never stored.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: i64,
}

/// What is stored of a token: its SHA-256.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// 256 random bits, URL-safe base64: a session token or the token of a link sent by mail.
pub fn new_token() -> Result<String, ServiceError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|error| ServiceError::Internal(format!("random source: {error}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// A session about to start: whose, on which profile, for how long, from where, and what the
/// security log says of it.
#[derive(Clone, Copy, Debug)]
pub struct Start<'a> {
    pub user_id: i64,
    pub profile_id: i64,
    pub ttl_secs: i64,
    pub origin: &'a Origin,
    pub kind: EventKind,
    /// The log entry's detail (see `NewSession::event_detail`).
    pub detail: &'static str,
}

/// Starts a session for `user_id` acting as `profile_id`, valid for `ttl_secs`.
pub async fn create(store: &Store, start: Start<'_>) -> Result<IssuedToken, ServiceError> {
    create_with(store, start, &[]).await
}

/// As `create`, queueing `mails` in the same transaction.
pub async fn create_with(
    store: &Store,
    start: Start<'_>,
    mails: &[NewMail],
) -> Result<IssuedToken, ServiceError> {
    let token = new_token()?;
    let now = clock::now();
    let expires_at = now + start.ttl_secs;
    let started = store
        .insert_session(&NewSession {
            token_hash: &token_hash(&token),
            user_id: start.user_id,
            profile_id: start.profile_id,
            now,
            expires_at,
            mails,
            origin: start.origin,
            event_kind: start.kind.as_str(),
            event_detail: start.detail,
        })
        .await?;
    if !started {
        return Err(disabled());
    }
    Ok(IssuedToken { token, expires_at })
}

/// The live session `token` belongs to, sliding its expiry forward; `None` when the token is
/// unknown, revoked or expired. Costs one indexed lookup, never a password hash. `by_cookie`:
/// the token came as the cookie, which is then renewed when the expiry moved and the cookie
/// was last sent more than `COOKIE_REISSUE_SECS` ago.
pub async fn authenticate(
    store: &Store,
    token: &str,
    ttl_secs: i64,
    by_cookie: bool,
) -> Result<Option<Session>, ServiceError> {
    let now = clock::now();
    let Some(stored) = store.live_session(&token_hash(token), now).await? else {
        return Ok(None);
    };
    Ok(Some(slide(store, stored, now, ttl_secs, by_cookie).await?))
}

/// The session `stored` (found live at `now`) as this request uses it: its expiry slides
/// forward, recorded at most every `TOUCH_INTERVAL_SECS`, and `renew_cookie` says whether the
/// cookie (when `by_cookie`) is due to be sent again.
pub async fn slide(
    store: &Store,
    stored: StoredSession,
    now: i64,
    ttl_secs: i64,
    by_cookie: bool,
) -> Result<Session, ServiceError> {
    let mut expires_at = stored.expires_at;
    let mut renew_cookie = false;
    if now - stored.last_seen_at >= TOUCH_INTERVAL_SECS {
        expires_at = now + ttl_secs;
        renew_cookie = by_cookie && now - stored.cookie_issued_at >= COOKIE_REISSUE_SECS;
        store
            .touch_session(stored.id, now, expires_at, renew_cookie)
            .await?;
    }
    Ok(Session {
        id: stored.id,
        user_id: stored.user_id,
        active_profile_id: stored.active_profile_id,
        expires_at,
        renew_cookie,
    })
}

/// The answer to a request without a live session.
pub fn signed_out() -> ServiceError {
    ServiceError::Unauthorized(
        "Sign in to continue: the session is missing, expired or invalid.".to_owned(),
    )
}

/// Leaves the renewed session cookie in the request's `CookieRenewal` when `session` says it is
/// due (see `authenticate`).
pub fn renew_cookie(session: &Session, token: &str, extensions: &Extensions) {
    if let (true, Some(renewal)) = (session.renew_cookie, extensions.get::<CookieRenewal>()) {
        let max_age = (session.expires_at - clock::now()).max(0);
        renewal.set(session_cookie(token, max_age, is_https(extensions)));
    }
}

/// The session of a request (bearer token or cookie), if any. When the cookie is due to be
/// renewed, the renewed cookie is left in the request's `CookieRenewal` for the response.
pub async fn authenticate_request(
    store: &Store,
    headers: &HeaderMap,
    extensions: &Extensions,
    ttl_secs: i64,
) -> Result<Option<Session>, ServiceError> {
    Ok(
        authenticate_presented(store, headers, extensions, ttl_secs, false)
            .await?
            .map(|(session, _)| session),
    )
}

/// `authenticate_request`; `with_banner`: the header's banner is read in the same query.
async fn authenticate_presented(
    store: &Store,
    headers: &HeaderMap,
    extensions: &Extensions,
    ttl_secs: i64,
    with_banner: bool,
) -> Result<Option<(Session, Option<MemberBanner>)>, ServiceError> {
    let Some((token, credential)) = presented_token(headers) else {
        return Ok(None);
    };
    let (hash, now) = (token_hash(&token), clock::now());
    let found = if with_banner {
        store.live_session_with_banner(&hash, now).await?
    } else {
        store
            .live_session(&hash, now)
            .await?
            .map(|stored| (stored, None))
    };
    let Some((stored, banner)) = found else {
        return Ok(None);
    };
    let by_cookie = credential == Credential::Cookie;
    let session = slide(store, stored, now, ttl_secs, by_cookie).await?;
    renew_cookie(&session, &token, extensions);
    Ok(Some((session, banner)))
}

/// The session of a page request, looked up once together with the page header's banner: the
/// layout (who is signed in) and the page's own data both ask for it. The server's middleware
/// puts one in every request's extensions; only reads (GET, HEAD) use it, since a request that
/// changes sessions must see its changes.
#[derive(Clone, Debug, Default)]
pub struct PageSession(Arc<OnceCell<Option<SessionWithBanner>>>);

/// A session and, for a member, the page header's banner.
type SessionWithBanner = (Session, Option<MemberBanner>);

impl PageSession {
    /// `authenticate_request`, once per request for reads.
    pub async fn authenticate(
        store: &Store,
        parts: &http::request::Parts,
        ttl_secs: i64,
    ) -> Result<Option<Session>, ServiceError> {
        match Self::of_read(parts) {
            Some(PageSession(memo)) => Ok(memo
                .get_or_try_init(|| {
                    authenticate_presented(store, &parts.headers, &parts.extensions, ttl_secs, true)
                })
                .await?
                .as_ref()
                .map(|(session, _)| session.clone())),
            None => authenticate_request(store, &parts.headers, &parts.extensions, ttl_secs).await,
        }
    }

    /// The banner of the session `authenticate` found for this read, if it looked one up.
    pub fn banner(parts: &http::request::Parts) -> Option<MemberBanner> {
        Self::of_read(parts)?.0.get()?.as_ref()?.1.clone()
    }

    fn of_read(parts: &http::request::Parts) -> Option<&PageSession> {
        let read = parts.method == http::Method::GET || parts.method == http::Method::HEAD;
        parts.extensions.get::<PageSession>().filter(|_| read)
    }
}

/// Makes `profile_id` the session's active profile, if it is one of the session user's.
/// Returns whether it was.
pub async fn switch_profile(
    store: &Store,
    session: &Session,
    profile_id: i64,
) -> Result<bool, ServiceError> {
    Ok(store
        .switch_session_profile(session.id, session.user_id, profile_id)
        .await?)
}
