//! Sessions: random bearer tokens, stored only as their SHA-256, expiring on a sliding window.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;

use http::{Extensions, HeaderMap};

use super::{
    client::is_https,
    clock,
    error::ServiceError,
    session_cookie::{presented_token, session_cookie, CookieRenewal, Credential},
};

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

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn new_token() -> Result<String, ServiceError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|error| ServiceError::Internal(format!("random source: {error}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Starts a session for `user_id` acting as `profile_id`, valid for `ttl_secs`.
pub async fn create(
    pool: &SqlitePool,
    user_id: i64,
    profile_id: i64,
    ttl_secs: i64,
) -> Result<IssuedToken, ServiceError> {
    let token = new_token()?;
    let now = clock::now();
    let expires_at = now + ttl_secs;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, active_profile_id, created_at, last_seen_at, expires_at, cookie_issued_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(profile_id)
    .bind(now)
    .bind(now)
    .bind(expires_at)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(IssuedToken { token, expires_at })
}

/// The live session `token` belongs to, sliding its expiry forward; `None` when the token is
/// unknown, revoked or expired. Costs one indexed lookup, never a password hash. `by_cookie`:
/// the token came as the cookie, which is then renewed when the expiry moved and the cookie
/// was last sent more than `COOKIE_REISSUE_SECS` ago.
pub async fn authenticate(
    pool: &SqlitePool,
    token: &str,
    ttl_secs: i64,
    by_cookie: bool,
) -> Result<Option<Session>, ServiceError> {
    let now = clock::now();
    let row: Option<(i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, user_id, active_profile_id, last_seen_at, expires_at, cookie_issued_at
         FROM sessions WHERE token_hash = ? AND expires_at > ?",
    )
    .bind(token_hash(token))
    .bind(now)
    .fetch_optional(pool)
    .await?;
    let Some((id, user_id, active_profile_id, last_seen_at, mut expires_at, cookie_issued_at)) =
        row
    else {
        return Ok(None);
    };
    let mut renew_cookie = false;
    if now - last_seen_at >= TOUCH_INTERVAL_SECS {
        expires_at = now + ttl_secs;
        renew_cookie = by_cookie && now - cookie_issued_at >= COOKIE_REISSUE_SECS;
        sqlx::query(
            "UPDATE sessions SET last_seen_at = ?, expires_at = ?,
                 cookie_issued_at = CASE WHEN ? THEN ? ELSE cookie_issued_at END
             WHERE id = ?",
        )
        .bind(now)
        .bind(expires_at)
        .bind(renew_cookie)
        .bind(now)
        .bind(id)
        .execute(pool)
        .await?;
    }
    Ok(Some(Session {
        id,
        user_id,
        active_profile_id,
        expires_at,
        renew_cookie,
    }))
}

/// The session of a request (bearer token or cookie), if any. When the cookie is due to be
/// renewed, the renewed cookie is left in the request's `CookieRenewal` for the response.
pub async fn authenticate_request(
    pool: &SqlitePool,
    headers: &HeaderMap,
    extensions: &Extensions,
    ttl_secs: i64,
) -> Result<Option<Session>, ServiceError> {
    let Some((token, credential)) = presented_token(headers) else {
        return Ok(None);
    };
    let by_cookie = credential == Credential::Cookie;
    let session = authenticate(pool, &token, ttl_secs, by_cookie).await?;
    if let (Some(session), Some(renewal)) = (&session, extensions.get::<CookieRenewal>()) {
        if session.renew_cookie {
            let max_age = (session.expires_at - clock::now()).max(0);
            renewal.set(session_cookie(&token, max_age, is_https(extensions)));
        }
    }
    Ok(session)
}

/// Ends the session (logout).
pub async fn revoke(pool: &SqlitePool, session_id: i64) -> Result<(), ServiceError> {
    sqlx::query("DELETE FROM sessions WHERE id = ?")
        .bind(session_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Makes `profile_id` the session's active profile, if it is one of the session user's.
/// Returns whether it was.
pub async fn switch_profile(
    pool: &SqlitePool,
    session: &Session,
    profile_id: i64,
) -> Result<bool, ServiceError> {
    let updated = sqlx::query(
        "UPDATE sessions SET active_profile_id = ?
         WHERE id = ? AND EXISTS (SELECT 1 FROM customer_profiles WHERE id = ? AND user_id = ?)",
    )
    .bind(profile_id)
    .bind(session.id)
    .bind(profile_id)
    .bind(session.user_id)
    .execute(pool)
    .await?;
    Ok(updated.rows_affected() == 1)
}
