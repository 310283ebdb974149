//! How a request presents its session (bearer header or cookie), and the cookies we set: the
//! session's and the device cookie of the sign-in throttle.

use std::sync::{Arc, Mutex};

use http::{header, HeaderMap, HeaderValue};

use crate::server::identity::device::{DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_SECS};

/// The browser's copy of the session token.
pub const SESSION_COOKIE: &str = "portal_session";

/// How the token arrived: CSRF checks apply only to the cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    Bearer,
    Cookie,
}

/// The value of the cookie `name` the request sent, if any and not empty.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name && !value.is_empty()).then(|| value.to_owned())
        })
}

/// The token presented by the request, bearer first.
pub fn presented_token(headers: &HeaderMap) -> Option<(String, Credential)> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_owned())
        });
    if let Some(token) = bearer.filter(|token| !token.is_empty()) {
        return Some((token, Credential::Bearer));
    }
    cookie_value(headers, SESSION_COOKIE).map(|token| (token, Credential::Cookie))
}

fn cookie(
    name: &str,
    value: &str,
    max_age_secs: i64,
    same_site: &str,
    secure: bool,
) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite={same_site}{secure}"
    );
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that gives the browser the session (HttpOnly, SameSite=Lax, and
/// Secure when the site is served over https).
pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    cookie(SESSION_COOKIE, token, max_age_secs, "Lax", secure)
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn expired_session_cookie(secure: bool) -> HeaderValue {
    session_cookie("", 0, secure)
}

/// The `Set-Cookie` value of a device cookie (only ever sent back to this site's own forms).
pub fn device_cookie(value: &str, secure: bool) -> HeaderValue {
    cookie(
        DEVICE_COOKIE,
        value,
        DEVICE_COOKIE_MAX_AGE_SECS,
        "Strict",
        secure,
    )
}

/// The browser's copy of a sign-in challenge: a right password waiting for its code.
pub const CHALLENGE_COOKIE: &str = "portal_sign_in";

/// The `Set-Cookie` value of a sign-in challenge (Strict: only this site's own code form sends
/// it back); `max_age_secs` 0 removes it.
pub fn challenge_cookie(token: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    cookie(CHALLENGE_COOKIE, token, max_age_secs, "Strict", secure)
}

/// The device cookie the request presented, if any.
pub fn presented_device_cookie(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, DEVICE_COOKIE)
}

/// Where authenticating a request leaves the session cookie to send again (see
/// `sessions::authenticate_request`); the server's middleware puts one in every request's
/// extensions and adds what it holds to the response.
#[derive(Clone, Debug, Default)]
pub struct CookieRenewal(Arc<Mutex<Option<HeaderValue>>>);

impl CookieRenewal {
    pub fn set(&self, cookie: HeaderValue) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(cookie);
        }
    }

    pub fn take(&self) -> Option<HeaderValue> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}
