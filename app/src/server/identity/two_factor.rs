//! Two-factor sign-in with an authenticator app: TOTP (RFC 6238: HMAC-SHA-1, 6 digits,
//! 30-second steps, one step of clock drift either way) through `totp-rs`, ten single-use
//! recovery codes, and the half-finished sign-in that waits for a code.
//!
//! - Setting it up stores a secret that does nothing until a code from the app confirms it.
//! - A code is accepted once: the newest accepted time step is stored and a code must be of a
//!   later one, so a code seen over a shoulder cannot be replayed within its 90 seconds.
//! - Wrong codes count against the member's password budget (see `throttle`), and a sign-in
//!   challenge takes at most `CHALLENGE_ATTEMPTS` codes.
//! - Recovery codes are 10 letters and digits (about 49.5 bits) stored as SHA-256; each works
//!   once. Their text is kept only until the page that shows them once has shown it.

use base64::{engine::general_purpose::STANDARD, Engine};
use serde::Serialize;
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Totp};

use crate::model::{
    field_error::FieldError,
    two_factor::{
        parse_code, Code, TotpCode, TwoFactorStatus, RECOVERY_ALPHABET, RECOVERY_CODE_LEN,
    },
};
use crate::server::{
    clock,
    error::ServiceError,
    identity::client::Origin,
    identity::passwords,
    identity::security_log::EventKind,
    identity::sessions::{new_token, token_hash, IssuedToken, Session},
    identity::throttle::{self, Attempt},
    settings::Limits,
    store::{
        security_log::NewEvent,
        two_factor::{Challenge, TotpFactor},
        Store,
    },
};

/// The name authenticator apps list the account under.
pub const ISSUER: &str = "Member portal";
/// 160 bits, the length RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
/// How long the second step of a sign-in may wait.
pub const CHALLENGE_SECS: i64 = 5 * 60;
/// Codes one sign-in challenge takes before the password must be typed again.
pub const CHALLENGE_ATTEMPTS: i64 = 5;
pub const RECOVERY_CODES: usize = 10;

fn internal(error: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(format!("two-factor: {error}"))
}

fn totp(secret: &[u8], account: Option<&str>) -> Result<Totp, ServiceError> {
    let builder = Builder::new().with_secret(secret.to_vec());
    let builder = match account {
        // The otpauth label may not hold a colon; an address with one is shown without it.
        Some(account) => builder
            .with_account_name(account.replace(':', ""))
            .with_issuer(Some(ISSUER)),
        None => builder,
    };
    builder.build().map_err(internal)
}

/// The time step `code` is the app's code of, for `secret` at `now` (one step of drift either
/// way), or `None`.
pub fn step_of(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    let now = u64::try_from(now).ok()?;
    let step = totp(secret, None).ok()?.check(code, now)?;
    i64::try_from(step).ok()
}

/// What the member needs to set up the app: the secret to type, the `otpauth://` address, and
/// that address as a QR code (an SVG image, as a `data:` URL an `<img>` can show).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Enrolment {
    /// Base32, as authenticator apps take it typed.
    pub secret: String,
    pub uri: String,
    pub qr_code: String,
}

fn enrolment(secret: &[u8], email: &str) -> Result<Enrolment, ServiceError> {
    let totp = totp(secret, Some(email))?;
    let uri = totp.to_url().map_err(internal)?;
    let svg = qrcode::QrCode::new(uri.as_bytes())
        .map_err(internal)?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .build();
    Ok(Enrolment {
        secret: totp.secret().to_base32(),
        qr_code: format!("data:image/svg+xml;base64,{}", STANDARD.encode(svg)),
        uri,
    })
}

/// Starts setting the app up (again, if an earlier start was never confirmed).
pub async fn begin(store: &Store, session: &Session) -> Result<Enrolment, ServiceError> {
    let mut secret = [0u8; SECRET_BYTES];
    getrandom::fill(&mut secret).map_err(internal)?;
    if !store
        .start_totp(session.user_id, &secret, clock::now())
        .await?
    {
        return Err(already_on());
    }
    let (email, _) = store.email_and_hash(session.user_id).await?;
    enrolment(&secret, &email)
}

fn already_on() -> ServiceError {
    ServiceError::Validation(vec![FieldError::secret(
        "Totp",
        "Two-factor sign-in",
        "is on already; turn it off first to set up another app",
    )])
}

/// The set-up waiting for its first code, if one is.
pub async fn pending(store: &Store, user_id: i64) -> Result<Option<Enrolment>, ServiceError> {
    match store.totp_factor(user_id).await? {
        Some(TotpFactor {
            secret,
            enabled_at: None,
        }) => {
            let (email, _) = store.email_and_hash(user_id).await?;
            Ok(Some(enrolment(&secret, &email)?))
        }
        _ => Ok(None),
    }
}

pub async fn status(store: &Store, user_id: i64) -> Result<TwoFactorStatus, ServiceError> {
    let enabled_at = store
        .totp_factor(user_id)
        .await?
        .and_then(|factor| factor.enabled_at);
    Ok(TwoFactorStatus {
        totp_enabled: enabled_at.is_some(),
        totp_enabled_at: enabled_at,
        recovery_codes_left: if enabled_at.is_some() {
            store.recovery_codes_left(user_id).await?
        } else {
            0
        },
    })
}

/// Whether member `user_id` signs in with a second step.
pub async fn enabled(store: &Store, user_id: i64) -> Result<bool, ServiceError> {
    Ok(store
        .totp_factor(user_id)
        .await?
        .is_some_and(|factor| factor.enabled_at.is_some()))
}

/// Ten new recovery codes (`abcde-fghjk`), and their hashes to store.
fn new_recovery_codes() -> Result<(Vec<String>, Vec<Vec<u8>>), ServiceError> {
    // Rejection sampling keeps every letter equally likely: bytes at or above `limit` are
    // skipped. Random bytes are drawn a buffer at a time.
    let limit = 256 - 256 % RECOVERY_ALPHABET.len();
    let mut buffer = [0u8; 64];
    let mut next = buffer.len();
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let mut code = String::with_capacity(RECOVERY_CODE_LEN + 1);
        while code.len() < RECOVERY_CODE_LEN + 1 {
            if next == buffer.len() {
                getrandom::fill(&mut buffer).map_err(internal)?;
                next = 0;
            }
            let byte = usize::from(buffer[next]);
            next += 1;
            if byte < limit {
                if code.len() == RECOVERY_CODE_LEN / 2 {
                    code.push('-');
                }
                code.push(RECOVERY_ALPHABET[byte % RECOVERY_ALPHABET.len()] as char);
            }
        }
        codes.push(code);
    }
    let hashes = codes
        .iter()
        .map(|code| recovery_hash(&code.replace('-', "")))
        .collect();
    Ok((codes, hashes))
}

fn recovery_hash(cleaned: &str) -> Vec<u8> {
    Sha256::digest(cleaned.as_bytes()).to_vec()
}

fn wrong_code() -> ServiceError {
    ServiceError::Validation(vec![FieldError::secret(
        "Code",
        "Code",
        "is not correct, or was used already; wait for the app's next code",
    )])
}

fn event<'a>(user_id: i64, kind: EventKind, origin: &'a Origin) -> NewEvent<'a> {
    NewEvent {
        user_id,
        kind: kind.as_str(),
        detail: "",
        origin,
        at: clock::now(),
    }
}

/// Turns the factor on with a code from the newly set-up app; the recovery codes (also kept to
/// be shown once, see [`take_recovery_codes`]).
pub async fn confirm(
    store: &Store,
    limits: &Limits,
    session: &Session,
    form: &TotpCode,
    origin: &Origin,
) -> Result<Vec<String>, ServiceError> {
    let Some(TotpFactor {
        secret,
        enabled_at: None,
    }) = store.totp_factor(session.user_id).await?
    else {
        return Err(match enabled(store, session.user_id).await? {
            true => already_on(),
            false => ServiceError::Validation(vec![FieldError::secret(
                "Code",
                "Code",
                "cannot be checked: start setting up the app first",
            )]),
        });
    };
    let code = match parse_code("Code", &form.code).map_err(one)? {
        Code::Totp(code) => code,
        Code::Recovery(_) => {
            return Err(one(FieldError::secret(
                "Code",
                "Code",
                "must be the 6 digits the app shows",
            )))
        }
    };
    let attempt = Attempt::SecondFactor {
        user_id: session.user_id,
        client: &origin.client_addr,
    };
    throttle::begin(store, limits, attempt).await?;
    let Some(step) = step_of(&secret, &code, clock::now()) else {
        return Err(wrong_code());
    };
    throttle::succeeded(store, attempt).await?;
    let (codes, hashes) = new_recovery_codes()?;
    if !store
        .enable_totp(
            session.user_id,
            step,
            &hashes,
            &codes.join("\n"),
            &event(session.user_id, EventKind::TotpEnabled, origin),
        )
        .await?
    {
        return Err(already_on());
    }
    Ok(codes)
}

fn one(error: FieldError) -> ServiceError {
    ServiceError::Validation(vec![error])
}

/// Which kind of code passed the second step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Passed {
    Totp,
    RecoveryCode,
}

impl Passed {
    /// The security log's detail of the sign-in.
    pub fn detail(self) -> &'static str {
        match self {
            Passed::Totp => "totp",
            Passed::RecoveryCode => "recovery_code",
        }
    }
}

/// Checks a code of member `user_id` (from the app, or a recovery code, which is used up):
/// throttled with the member's password budget, each app code accepted once.
pub async fn verify_code(
    store: &Store,
    limits: &Limits,
    user_id: i64,
    code: &str,
    client: &str,
) -> Result<Passed, ServiceError> {
    let code = parse_code("Code", code).map_err(one)?;
    let Some(TotpFactor {
        secret,
        enabled_at: Some(_),
    }) = store.totp_factor(user_id).await?
    else {
        return Err(one(FieldError::secret(
            "Code",
            "Code",
            "is not needed: two-factor sign-in is off",
        )));
    };
    let attempt = Attempt::SecondFactor { user_id, client };
    throttle::begin(store, limits, attempt).await?;
    let passed = match code {
        Code::Totp(code) => match step_of(&secret, &code, clock::now()) {
            Some(step) if store.accept_totp_step(user_id, step).await? => Some(Passed::Totp),
            _ => None,
        },
        Code::Recovery(code) => store
            .use_recovery_code(user_id, &recovery_hash(&code), clock::now())
            .await?
            .then_some(Passed::RecoveryCode),
    };
    let Some(passed) = passed else {
        return Err(wrong_code());
    };
    throttle::succeeded(store, attempt).await?;
    Ok(passed)
}

/// Checks that `password` is member `user_id`'s: throttled as a sign-in is, per member and per
/// client address; a wrong one is a validation error on `CurrentPassword`.
pub async fn confirm_current_password(
    store: &Store,
    limits: &Limits,
    user_id: i64,
    password: &str,
    client: &str,
) -> Result<(), ServiceError> {
    if password.is_empty() {
        return Err(ServiceError::Validation(vec![FieldError::secret(
            "CurrentPassword",
            "Current password",
            "is required",
        )]));
    }
    let (_, hash) = store.email_and_hash(user_id).await?;
    let attempt = Attempt::CurrentPassword { user_id, client };
    throttle::begin(store, limits, attempt).await?;
    if !passwords::verify(password.to_owned(), Some(hash)).await? {
        return Err(ServiceError::Validation(vec![FieldError::secret(
            "CurrentPassword",
            "Current password",
            "is not correct",
        )]));
    }
    throttle::succeeded(store, attempt).await?;
    Ok(())
}

/// What confirming the member's identity for a sensitive change takes: the password, and a code
/// when two-factor sign-in is on (`code` may be empty otherwise).
pub async fn confirm_identity(
    store: &Store,
    limits: &Limits,
    user_id: i64,
    password: &str,
    code: &str,
    client: &str,
) -> Result<(), ServiceError> {
    confirm_current_password(store, limits, user_id, password, client).await?;
    if enabled(store, user_id).await? {
        if code.trim().is_empty() {
            return Err(one(FieldError::secret(
                "Code",
                "Code",
                "is required: two-factor sign-in is on",
            )));
        }
        verify_code(store, limits, user_id, code, client).await?;
    }
    Ok(())
}

/// Turns the factor off; needs the password and a code.
pub async fn disable(
    store: &Store,
    limits: &Limits,
    session: &Session,
    form: &crate::model::account::ConfirmPassword,
    origin: &Origin,
) -> Result<(), ServiceError> {
    if !enabled(store, session.user_id).await? {
        return Err(ServiceError::NotFound(
            "Two-factor sign-in is off already.".to_owned(),
        ));
    }
    if form.code.trim().is_empty() {
        return Err(one(FieldError::secret(
            "Code",
            "Code",
            "is required to turn two-factor sign-in off",
        )));
    }
    confirm_identity(
        store,
        limits,
        session.user_id,
        &form.current_password,
        &form.code,
        &origin.client_addr,
    )
    .await?;
    store
        .disable_totp(
            session.user_id,
            &event(session.user_id, EventKind::TotpDisabled, origin),
        )
        .await?;
    Ok(())
}

/// New recovery codes in place of the old ones; needs the password (and a code).
pub async fn regenerate(
    store: &Store,
    limits: &Limits,
    session: &Session,
    form: &crate::model::account::ConfirmPassword,
    origin: &Origin,
) -> Result<Vec<String>, ServiceError> {
    if !enabled(store, session.user_id).await? {
        return Err(ServiceError::NotFound(
            "Two-factor sign-in is off: there are no recovery codes.".to_owned(),
        ));
    }
    confirm_identity(
        store,
        limits,
        session.user_id,
        &form.current_password,
        &form.code,
        &origin.client_addr,
    )
    .await?;
    let (codes, hashes) = new_recovery_codes()?;
    store
        .replace_recovery_codes(
            session.user_id,
            &hashes,
            &codes.join("\n"),
            &event(session.user_id, EventKind::RecoveryCodesRegenerated, origin),
        )
        .await?;
    Ok(codes)
}

/// The recovery codes made last, if no page showed them yet (then they are forgotten).
pub async fn take_recovery_codes(
    store: &Store,
    user_id: i64,
) -> Result<Option<Vec<String>>, ServiceError> {
    Ok(store
        .take_pending_codes(user_id)
        .await?
        .map(|codes| codes.lines().map(str::to_owned).collect()))
}

/// A sign-in whose password was right, waiting for its code: the token names it (the browser's
/// short-lived cookie, or the API's `Challenge`).
pub async fn start_challenge(
    store: &Store,
    challenge: Challenge,
) -> Result<IssuedToken, ServiceError> {
    let token = new_token()?;
    let expires_at = clock::now() + CHALLENGE_SECS;
    store
        .insert_challenge(&token_hash(&token), challenge, expires_at)
        .await?;
    Ok(IssuedToken { token, expires_at })
}

pub fn challenge_expired() -> ServiceError {
    ServiceError::Unauthorized(
        "This sign-in waited too long or took too many codes; sign in with your password again."
            .to_owned(),
    )
}

/// Passes the second step of challenge `token` with `code`: the challenge is used up, and the
/// member's id and how the step was passed come back. A wrong code leaves the challenge for
/// another try (at most `CHALLENGE_ATTEMPTS` in all).
pub async fn pass_challenge(
    store: &Store,
    limits: &Limits,
    token: &str,
    code: &str,
    origin: &Origin,
) -> Result<(Challenge, Passed), ServiceError> {
    let hash = token_hash(token);
    // A code that is not even a code does not use up an attempt.
    parse_code("Code", code).map_err(one)?;
    let Some(challenge) = store
        .attempt_challenge(&hash, clock::now(), CHALLENGE_ATTEMPTS)
        .await?
    else {
        return Err(challenge_expired());
    };
    match verify_code(store, limits, challenge.user_id, code, &origin.client_addr).await {
        Ok(passed) => {
            if !store.delete_challenge(&hash).await? {
                // Another request with the same challenge finished first.
                return Err(challenge_expired());
            }
            Ok((challenge, passed))
        }
        Err(refused) => {
            if matches!(refused, ServiceError::Validation(_)) {
                crate::server::identity::security_log::record(
                    store,
                    challenge.user_id,
                    EventKind::SecondFactorFailed,
                    "",
                    origin,
                )
                .await?;
            }
            Err(refused)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 secret and the 8-digit codes' last six digits.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_rfc_6238_at_its_fixed_times() {
        for (time, code, step) in [
            (59, "287082", 1),
            (1_111_111_109, "081804", 37_037_036),
            (1_234_567_890, "005924", 41_152_263),
            (2_000_000_000, "279037", 66_666_666),
        ] {
            assert_eq!(step_of(RFC_SECRET, code, time), Some(step), "at {time}");
        }
        // One step of drift either way is accepted, two are not.
        assert_eq!(step_of(RFC_SECRET, "287082", 59 + 30), Some(1));
        assert_eq!(step_of(RFC_SECRET, "287082", 59 + 60), None);
        assert_eq!(step_of(RFC_SECRET, "287083", 59), None);
    }

    #[test]
    fn recovery_codes_are_ten_distinct_readable_codes_that_parse_back() {
        let (codes, hashes) = new_recovery_codes().expect("codes");
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        for (code, hash) in codes.iter().zip(&hashes) {
            assert_eq!(code.len(), 11, "{code}");
            let Ok(Code::Recovery(cleaned)) = parse_code("Code", code) else {
                panic!("{code} does not parse as a recovery code");
            };
            assert_eq!(&recovery_hash(&cleaned), hash);
        }
    }

    #[test]
    fn the_enrolment_names_the_account_and_draws_its_address() {
        let enrolment = enrolment(RFC_SECRET, "jane@example.com").expect("enrolment");
        assert_eq!(enrolment.secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert!(
            enrolment
                .uri
                .starts_with("otpauth://totp/Member%20portal:jane%40example.com?"),
            "{}",
            enrolment.uri
        );
        assert!(enrolment
            .uri
            .contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
        let svg = STANDARD
            .decode(
                enrolment
                    .qr_code
                    .trim_start_matches("data:image/svg+xml;base64,"),
            )
            .expect("base64");
        let svg = String::from_utf8(svg).expect("utf-8");
        assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
    }
}
