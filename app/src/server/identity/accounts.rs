//! Accounts: sign-up, sign-in and what a signed-in member may read about themselves.

use serde::Serialize;

pub use crate::model::account::{NotificationPreferences, ProfileSummary, UserSummary};
use crate::model::{
    account::{normalize_email, SignIn, SignUp},
    field_error::FieldError,
    link::LinkPurpose,
    password_policy::PasswordPolicy,
    two_factor::SecondFactor,
};
use crate::server::{
    clock,
    error::ServiceError,
    identity::client::{Origin, Requester},
    identity::links::IssuedLink,
    identity::passwords,
    identity::security_log::{self, EventKind},
    identity::sessions::{self, IssuedToken, Session, Start},
    identity::settings::SecuritySettings,
    identity::throttle,
    identity::two_factor,
    mail::{compose, MailQueue},
    rate_limit::{Events, Key, Limit},
    store::{accounts::NewMember, two_factor::Challenge, Store},
};

const WRONG_CREDENTIALS: &str = "The e-mail address or password is not correct.";

/// What a sign-up is told while the operator has closed sign-up.
pub fn sign_up_closed() -> ServiceError {
    ServiceError::Forbidden(
        "Sign-up is closed: the portal is not taking new members at the moment.".to_owned(),
    )
}

/// The password policy of the location new members join, and that location's id.
pub async fn default_location(store: &Store) -> Result<(i64, PasswordPolicy), ServiceError> {
    store
        .default_location()
        .await?
        .ok_or_else(|| ServiceError::Internal("no default location".to_owned()))
}

/// The password policy of the location of `profile_id`.
pub async fn policy_for_profile(
    store: &Store,
    profile_id: i64,
) -> Result<PasswordPolicy, ServiceError> {
    store
        .policy_for_profile(profile_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound("profile not found".to_owned()))
}

/// The password policy of member `user_id`: their default profile's location's.
pub async fn policy_for_member(
    store: &Store,
    user_id: i64,
) -> Result<PasswordPolicy, ServiceError> {
    let profile_id = store.first_profile_of(user_id).await?;
    policy_for_profile(store, profile_id).await
}

/// A new session, and the device cookie that marks the browser as one the member signed in on.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub session: IssuedToken,
    pub device_cookie: String,
}

/// Where a right password leads: a session, or the second step when the member turned
/// two-factor sign-in on.
#[derive(Clone, Debug)]
pub enum SignInStep {
    SignedIn(SignedIn),
    /// The challenge the code must come with, and until when it waits.
    /// Whether the member has a passkey that may stand in for the code.
    SecondFactor(IssuedToken, bool),
}

/// Creates the account and its default profile at the default location, then signs it in.
/// Each client address may make `sign_ups_per_client` attempts per window that pass the rules
/// (each costs a password hash, or tells whether an address is registered); one refused by
/// its rules costs nothing and is not counted.
pub async fn sign_up(
    store: &Store,
    security: &SecuritySettings,
    mail: &MailQueue,
    form: SignUp,
    requester: Requester<'_>,
    session_ttl_secs: i64,
) -> Result<SignedIn, ServiceError> {
    if !store.sign_up_open().await? {
        return Err(sign_up_closed());
    }
    let (location_id, policy) = default_location(store).await?;
    let errors = form.validate(&policy, Some(passwords::is_common(&form.password)));
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let email = form.email.trim().to_owned();
    let normalized = normalize_email(&email);
    let taken = || {
        ServiceError::Validation(vec![FieldError::new(
            "Email",
            "E-mail address",
            "is already registered; sign in instead",
            &email,
        )])
    };
    // Counted before the address is looked up, so sign-up cannot be used to test many addresses
    // for accounts either.
    Events {
        table: "sign_ups",
        window_secs: security.limits.sign_up_window_secs,
    }
    .record(
        store,
        &[Limit {
            column: "client_addr",
            key: Key::Text(requester.client),
            limit: security.limits.sign_ups_per_client,
        }],
    )
    .await?;
    let (user_id, profile_id) = create_account(
        store,
        mail,
        NewAccount {
            email: &email,
            password: form.password,
            full_name: &form.full_name,
            location_id,
        },
    )
    .await?
    .ok_or_else(taken)?;

    Ok(SignedIn {
        session: sessions::create(
            store,
            Start {
                user_id,
                profile_id,
                ttl_secs: session_ttl_secs,
                origin: &requester.origin(),
                kind: EventKind::SignedUp,
                detail: "",
            },
        )
        .await?,
        device_cookie: security.device_key.issue(&normalized)?,
    })
}

/// A member about to be made, with the password as typed (it passed its policy).
pub(crate) struct NewAccount<'a> {
    pub email: &'a str,
    pub password: String,
    pub full_name: &'a str,
    pub location_id: i64,
}

/// Hashes the password and stores the member with their default profile at the location,
/// queueing the link that verifies their address: their user and profile ids, or `None` when
/// the address is registered already (looked up first, to spare the hash; the unique index
/// decides between two at once).
pub(crate) async fn create_account(
    store: &Store,
    mail: &MailQueue,
    account: NewAccount<'_>,
) -> Result<Option<(i64, i64)>, ServiceError> {
    let email = account.email;
    if store.credentials(&normalize_email(email)).await?.is_some() {
        return Ok(None);
    }
    let password_hash = passwords::hash(account.password).await?;
    let now = clock::now();
    // The link's user id is not known yet: the store puts it in with the member.
    let verification = IssuedLink::new(LinkPurpose::VerifyEmail, 0, email, now)?;
    let message = compose::verify_email(
        email,
        mail.link(LinkPurpose::VerifyEmail.page(), &verification.token),
        LinkPurpose::VerifyEmail.lifetime_secs(),
    );
    let created = store
        .create_member(&NewMember {
            email,
            email_normalized: &normalize_email(email),
            password_hash: &password_hash,
            full_name: account.full_name.trim(),
            location_id: account.location_id,
            now,
            verification: verification.stored(now),
            mails: &[message],
        })
        .await?;
    mail.wake();
    Ok(created)
}

/// Checks the credentials (after the throttle, see `throttle`) and starts a session on the
/// default profile, or, with two-factor sign-in on, a challenge for the second step (see
/// [`sign_in_second_step`]). An unknown address and a wrong password get the same answer in
/// the same time.
pub async fn sign_in(
    store: &Store,
    security: &SecuritySettings,
    mail: &MailQueue,
    form: SignIn,
    requester: Requester<'_>,
    session_ttl_secs: i64,
) -> Result<SignInStep, ServiceError> {
    let normalized = normalize_email(&form.email);
    let device = requester
        .device_cookie
        .and_then(|cookie| security.device_key.verify(&normalized, cookie));
    let attempt = match throttle::begin_sign_in(
        store,
        &security.limits,
        &normalized,
        requester.client,
        device.as_deref(),
    )
    .await
    {
        Ok(attempt) => attempt,
        Err(refused @ ServiceError::TooManyRequests { .. }) => {
            // The account's member sees it in their log, once a window however often it is
            // repeated.
            log_refused_sign_in(
                store,
                &normalized,
                EventKind::SignInThrottled,
                requester.origin(),
                Some(security.limits.sign_in_window_secs),
            );
            return Err(refused);
        }
        Err(other) => return Err(other),
    };

    let (user_id, hash) = match store.credentials(&normalized).await? {
        Some((id, hash)) => (Some(id), Some(hash)),
        None => (None, None),
    };
    let matches = passwords::verify(form.password.clone(), hash.clone()).await?;
    // A failed attempt stays recorded; a successful one clears the account's record.
    let Some(user_id) = user_id.filter(|_| matches) else {
        log_refused_sign_in(
            store,
            &normalized,
            EventKind::SignInFailed,
            requester.origin(),
            None,
        );
        return Err(ServiceError::Unauthorized(WRONG_CREDENTIALS.to_owned()));
    };
    throttle::succeeded(store, attempt).await?;
    if let Some(old) = hash.filter(|old| passwords::needs_rehash(old)) {
        upgrade_hash(store, user_id, &old, form.password).await?;
    }
    if store.is_disabled(user_id).await? {
        return Err(sessions::disabled());
    }
    let known_device = device.is_some();
    if two_factor::enabled(store, user_id).await? {
        let challenge = Challenge {
            user_id,
            known_device,
        };
        let token = two_factor::start_challenge(store, challenge).await?;
        let passkey = store.has_passkey(user_id).await?;
        return Ok(SignInStep::SecondFactor(token, passkey));
    }
    let started = Started {
        user_id,
        normalized: &normalized,
        known_device,
        detail: "",
    };
    Ok(SignInStep::SignedIn(
        start_session(store, security, mail, started, requester, session_ttl_secs).await?,
    ))
}

/// The second step of a sign-in: a code from the authenticator app or a recovery code, with
/// the challenge the first step answered with.
pub async fn sign_in_second_step(
    store: &Store,
    security: &SecuritySettings,
    mail: &MailQueue,
    form: &SecondFactor,
    requester: Requester<'_>,
    session_ttl_secs: i64,
) -> Result<SignedIn, ServiceError> {
    let (challenge, passed) = two_factor::pass_challenge(
        store,
        &security.limits,
        &form.challenge,
        &form.code,
        &requester.origin(),
    )
    .await?;
    second_step_passed(
        store,
        security,
        mail,
        challenge,
        passed.detail(),
        requester,
        session_ttl_secs,
    )
    .await
}

/// The session of a sign-in whose second step (`detail` says how) just passed.
pub async fn second_step_passed(
    store: &Store,
    security: &SecuritySettings,
    mail: &MailQueue,
    challenge: Challenge,
    detail: &'static str,
    requester: Requester<'_>,
    session_ttl_secs: i64,
) -> Result<SignedIn, ServiceError> {
    let email = store.user_summary(challenge.user_id).await?.email;
    let started = Started {
        user_id: challenge.user_id,
        normalized: &normalize_email(&email),
        known_device: challenge.known_device,
        detail,
    };
    start_session(store, security, mail, started, requester, session_ttl_secs).await
}

/// The session of member `user_id`, who signed in with a passkey alone (`detail` for the log).
pub async fn passkey_signed_in(
    store: &Store,
    security: &SecuritySettings,
    mail: &MailQueue,
    user_id: i64,
    detail: &'static str,
    requester: Requester<'_>,
    session_ttl_secs: i64,
) -> Result<SignedIn, ServiceError> {
    let normalized = normalize_email(&store.user_summary(user_id).await?.email);
    let known_device = requester
        .device_cookie
        .and_then(|cookie| security.device_key.verify(&normalized, cookie))
        .is_some();
    let started = Started {
        user_id,
        normalized: &normalized,
        known_device,
        detail,
    };
    start_session(store, security, mail, started, requester, session_ttl_secs).await
}

/// A sign-in that passed every step.
struct Started<'a> {
    user_id: i64,
    normalized: &'a str,
    /// The browser had the account's device cookie.
    known_device: bool,
    /// The log entry's detail: how a second step was passed.
    detail: &'static str,
}

async fn start_session(
    store: &Store,
    security: &SecuritySettings,
    mail: &MailQueue,
    started: Started<'_>,
    requester: Requester<'_>,
    session_ttl_secs: i64,
) -> Result<SignedIn, ServiceError> {
    let Started {
        user_id,
        normalized,
        known_device,
        detail,
    } = started;
    let profile_id = store.first_profile_of(user_id).await?;
    // A browser without the account's device cookie has not signed in to it before (or was
    // cleared): the member hears of it, unless they turned that off.
    let mut notices = Vec::new();
    if !known_device && store.wants_new_sign_in_notice(profile_id).await? {
        let email = store.user_summary(user_id).await?.email;
        notices.push(compose::new_sign_in(
            &email,
            &security_log::device(requester.user_agent).description(),
            requester.client,
            &chrono::Utc::now().format("%Y-%m-%d %H:%M").to_string(),
            mail.page("/password/forgot"),
        ));
    }
    let session = sessions::create_with(
        store,
        Start {
            user_id,
            profile_id,
            ttl_secs: session_ttl_secs,
            origin: &requester.origin(),
            kind: EventKind::SignedIn,
            detail,
        },
        &notices,
    )
    .await?;
    if !notices.is_empty() {
        mail.wake();
    }
    Ok(SignedIn {
        session,
        device_cookie: security.device_key.issue(normalized)?,
    })
}

/// Logs a refused sign-in (`kind`) to the account of `normalized`, if there is one; with
/// `once_in`, only when the log has no such entry in that many seconds. It runs in a task of its
/// own after the answer, so the answer takes the same time whether or not an account uses the
/// address (a write only for real accounts would tell them apart).
fn log_refused_sign_in(
    store: &Store,
    normalized: &str,
    kind: EventKind,
    origin: Origin,
    once_in: Option<i64>,
) {
    let (store, normalized) = (store.clone(), normalized.to_owned());
    tokio::spawn(async move {
        let logged = async {
            let Some((user_id, _)) = store.credentials(&normalized).await? else {
                return Ok(());
            };
            match once_in {
                Some(window_secs) => {
                    security_log::record_once(&store, user_id, kind, &origin, window_secs).await
                }
                None => security_log::record(&store, user_id, kind, "", &origin).await,
            }
        };
        if let Err(error) = logged.await {
            tracing::warn!(%error, "a refused sign-in could not be logged");
        }
    });
}

/// Replaces a hash made with older, weaker parameters by one made with today's, now that the
/// password is known to be right (unless the password changed in the meantime).
async fn upgrade_hash(
    store: &Store,
    user_id: i64,
    old: &str,
    password: String,
) -> Result<(), ServiceError> {
    let new = passwords::hash(password).await?;
    store.replace_password_hash(user_id, old, &new).await?;
    tracing::info!(user_id, "re-hashed a password with today's parameters");
    Ok(())
}

/// `GET /login/me`: who is signed in, acting as which profile, with which notifications.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CurrentSession {
    pub user: UserSummary,
    pub profile: ProfileSummary,
    pub location_name: String,
    pub notification_preferences: NotificationPreferences,
    pub expires_at: String,
}

/// `GET /api/public/coworkers/profiles`.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct LinkedProfiles {
    pub user: UserSummary,
    pub profiles: Vec<ProfileSummary>,
}

pub async fn current_session(
    store: &Store,
    session: &Session,
) -> Result<CurrentSession, ServiceError> {
    let row = store
        .current_session_row(session.active_profile_id, session.user_id)
        .await?;
    Ok(CurrentSession {
        user: store.user_summary(session.user_id).await?,
        profile: row.profile,
        location_name: row.location_name,
        notification_preferences: row.notifications,
        expires_at: clock::to_rfc3339(session.expires_at),
    })
}

pub async fn linked_profiles(
    store: &Store,
    session: &Session,
) -> Result<LinkedProfiles, ServiceError> {
    Ok(LinkedProfiles {
        user: store.user_summary(session.user_id).await?,
        profiles: store.linked_profiles(session.user_id).await?,
    })
}

#[cfg(test)]
mod tests {
    use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};

    use super::*;
    use crate::server::{identity::device::DeviceKey, identity::testing::member};

    fn security() -> SecuritySettings {
        SecuritySettings::with_defaults(DeviceKey::random().expect("key"))
    }

    fn mail_queue() -> MailQueue {
        MailQueue::new("http://127.0.0.1:3000")
    }

    #[tokio::test]
    async fn a_hash_with_weaker_parameters_is_replaced_at_the_next_sign_in() {
        let (_dir, store, session) = member().await;
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8_192, 1, 1, None).expect("params"),
        )
        .hash_password(b"a quiet harbour at dusk")
        .expect("hashes")
        .to_string();
        store
            .execute_sql(&format!(
                "UPDATE users SET password_hash = '{weak}' WHERE id = {}",
                session.user_id
            ))
            .await
            .expect("store the old hash");
        sign_in(
            &store,
            &security(),
            &mail_queue(),
            SignIn {
                email: "jane@example.com".to_owned(),
                password: "a quiet harbour at dusk".to_owned(),
            },
            Requester {
                client: "127.0.0.1",
                device_cookie: None,
                user_agent: "",
            },
            3600,
        )
        .await
        .expect("signs in with the old hash");
        let stored: String = store
            .scalar_sql(&format!(
                "SELECT password_hash FROM users WHERE id = {}",
                session.user_id
            ))
            .await
            .expect("hash");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(
            passwords::verify("a quiet harbour at dusk".to_owned(), Some(stored))
                .await
                .expect("verifies")
        );
    }
}
