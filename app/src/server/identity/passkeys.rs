//! Passkeys (WebAuthn) through `webauthn-rs`: registering one on the security page or through
//! the API, signing in with one alone (a discoverable credential: the browser offers the
//! member's passkeys for this site, no e-mail address typed), and using one as a sign-in's second
//! step in place of an authenticator code.
//!
//! - A passkey verifies its user (PIN or biometrics; `userVerification: required`), so it is two
//!   factors by itself: signing in with one needs neither the password nor a code. It does not
//!   turn the two-step sign-in on: a member without an authenticator app still signs in with the
//!   password alone, and losing the passkey locks nobody out.
//! - Every ceremony is two requests. Its server half (the challenge, as webauthn-rs's state) is
//!   kept in the database under a random token, used once and for at most `CEREMONY_SECS`, so
//!   any instance can finish what another started; it never goes to the client.
//! - The relying party is `PUBLIC_URL`'s host. Without it, the `Host` the request was sent to
//!   stands in (as for the CSRF guard): fine on one machine, and `localhost` works, but an
//!   operator behind a proxy sets `PUBLIC_URL`. An IP address cannot be a relying party.
//! - Registering needs the password (and a code when the app is on): a stolen session must not
//!   be able to plant a lasting way in. Removing one needs only the session.

use serde::{Deserialize, Serialize};
pub use webauthn_rs::prelude::Webauthn;
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid,
    WebauthnBuilder,
};

pub use crate::model::two_factor::PasskeySummary;
use crate::model::{
    field_error::FieldError,
    two_factor::{passkey_name, MAX_PASSKEYS},
};
use crate::server::{
    clock,
    error::ServiceError,
    identity::accounts::{self, SignedIn},
    identity::client::Origin,
    identity::client::Requester,
    identity::security_log::EventKind,
    identity::sessions::{new_token, token_hash, Session},
    identity::settings::SecuritySettings,
    identity::two_factor,
    mail::MailQueue,
    settings::Limits,
    store::{
        passkeys::{Ceremony, Purpose, StoredPasskey},
        security_log::NewEvent,
        Store,
    },
};

/// How long the browser may take between a ceremony's two requests.
pub const CEREMONY_SECS: i64 = 5 * 60;

fn internal(error: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(format!("passkeys: {error}"))
}

fn refused(rule: &str) -> ServiceError {
    ServiceError::Validation(vec![FieldError::secret("Credential", "Passkey", rule)])
}

/// The site as WebAuthn knows it: `PUBLIC_URL`'s origin, else the request's `Host` (over http
/// or https).
pub fn relying_party(
    public_origin: Option<&str>,
    host: Option<&str>,
) -> Result<Webauthn, ServiceError> {
    let unusable = || {
        ServiceError::Forbidden(
            "Passkeys need the site to be reached by its name (such as localhost or \
             portal.example), not by an IP address; the operator sets PUBLIC_URL."
                .to_owned(),
        )
    };
    let origins: Vec<Url> = match (public_origin, host) {
        (Some(origin), _) => vec![Url::parse(origin).map_err(internal)?],
        (None, Some(host)) => ["http", "https"]
            .iter()
            .map(|scheme| Url::parse(&format!("{scheme}://{}", host.trim())))
            .collect::<Result<_, _>>()
            .map_err(|_| unusable())?,
        (None, None) => return Err(unusable()),
    };
    let rp_id = origins[0].domain().ok_or_else(unusable)?.to_owned();
    let mut builder = WebauthnBuilder::new(&rp_id, &origins[0])
        .map_err(|_| unusable())?
        .rp_name(two_factor::ISSUER)
        .timeout(std::time::Duration::from_secs(CEREMONY_SECS as u64));
    for origin in &origins[1..] {
        builder = builder.append_allowed_origin(origin);
    }
    builder.build().map_err(internal)
}

/// `POST /api/account/passkeys/start`: the new passkey's name, and the member's password (and a
/// code when the authenticator app is on).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AddPasskey {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub current_password: String,
    #[serde(default)]
    pub code: String,
}

/// A ceremony the browser (or API client) now runs: pass `Options` to
/// `navigator.credentials.create()` or `.get()` (binary fields are base64url), then send its
/// result back with `Ceremony`.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CeremonyStart {
    pub ceremony: String,
    /// Unix seconds.
    pub expires_at: i64,
    /// `{"publicKey": …}`, WebAuthn's options as JSON.
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
}

/// The browser's answer to a ceremony: the `PublicKeyCredential` as JSON (`id`, `rawId`,
/// `type`, `response` with base64url fields, `extensions`).
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CeremonyFinish {
    #[serde(default)]
    pub ceremony: String,
    #[schema(value_type = Object)]
    #[serde(default)]
    pub credential: serde_json::Value,
}

fn summary(stored: &StoredPasskey) -> PasskeySummary {
    PasskeySummary {
        id: stored.id,
        name: stored.name.clone(),
        created_at: stored.created_at,
        last_used_at: stored.last_used_at,
    }
}

pub async fn list(store: &Store, user_id: i64) -> Result<Vec<PasskeySummary>, ServiceError> {
    Ok(store
        .passkeys_of(user_id)
        .await?
        .iter()
        .map(summary)
        .collect())
}

fn json<T: Serialize>(value: &T) -> Result<String, ServiceError> {
    serde_json::to_string(value).map_err(internal)
}

fn parsed<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ServiceError> {
    serde_json::from_str(text).map_err(internal)
}

/// The browser's answer as the type webauthn-rs checks, or a field error saying it is not one.
fn answer<T: serde::de::DeserializeOwned>(
    credential: &serde_json::Value,
) -> Result<T, ServiceError> {
    serde_json::from_value(credential.clone())
        .map_err(|_| refused("is not a WebAuthn credential (PublicKeyCredential as JSON)"))
}

async fn open_ceremony(
    store: &Store,
    purpose: Purpose,
    ceremony: Ceremony,
    options: serde_json::Value,
) -> Result<CeremonyStart, ServiceError> {
    let token = new_token()?;
    let expires_at = clock::now() + CEREMONY_SECS;
    store
        .insert_ceremony(&token_hash(&token), purpose, &ceremony, expires_at)
        .await?;
    Ok(CeremonyStart {
        ceremony: token,
        expires_at,
        options,
    })
}

async fn take_ceremony(
    store: &Store,
    token: &str,
    purpose: Purpose,
) -> Result<Ceremony, ServiceError> {
    store
        .take_ceremony(&token_hash(token), purpose, clock::now())
        .await?
        .ok_or_else(|| {
            ServiceError::Unauthorized(
                "This passkey request waited too long or was used already; start again.".to_owned(),
            )
        })
}

/// Starts registering a passkey for the signed-in member.
pub async fn start_registration(
    store: &Store,
    limits: &Limits,
    rp: &Webauthn,
    session: &Session,
    form: &AddPasskey,
    origin: &Origin,
) -> Result<CeremonyStart, ServiceError> {
    let name = passkey_name(&form.name).map_err(|error| ServiceError::Validation(vec![error]))?;
    two_factor::confirm_identity(
        store,
        limits,
        session.user_id,
        &form.current_password,
        &form.code,
        &origin.client_addr,
    )
    .await?;
    let existing = store.passkeys_of(session.user_id).await?;
    if existing.len() as i64 >= MAX_PASSKEYS {
        return Err(too_many());
    }
    let handle = match existing.first() {
        Some(first) => Uuid::from_slice(&first.user_handle).map_err(internal)?,
        None => Uuid::new_v4(),
    };
    let (email, _) = store.email_and_hash(session.user_id).await?;
    let exclude = existing
        .iter()
        .map(|stored| parsed::<Passkey>(&stored.credential).map(|key| key.cred_id().clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let (options, state) = rp
        .start_passkey_registration(handle, &email, &email, Some(exclude))
        .map_err(internal)?;
    let mut options = serde_json::to_value(options).map_err(internal)?;
    // A discoverable credential, so it can sign in without an address typed first.
    if let Some(selection) = options
        .pointer_mut("/publicKey/authenticatorSelection")
        .and_then(serde_json::Value::as_object_mut)
    {
        selection.insert("residentKey".into(), "required".into());
        selection.insert("requireResidentKey".into(), true.into());
    }
    let ceremony = Ceremony {
        user_id: Some(session.user_id),
        name,
        state: json(&Registration { handle, state })?,
    };
    open_ceremony(store, Purpose::Register, ceremony, options).await
}

/// What a registration keeps between its requests: the member's user handle (new with their
/// first passkey) and webauthn-rs's state.
#[derive(Serialize, Deserialize)]
struct Registration {
    handle: Uuid,
    state: PasskeyRegistration,
}

fn too_many() -> ServiceError {
    ServiceError::Validation(vec![FieldError::secret(
        "Name",
        "Passkeys",
        &format!("are at most {MAX_PASSKEYS} per member; remove one first"),
    )])
}

/// Finishes registering: checks the browser's answer against the ceremony and stores the
/// passkey.
pub async fn finish_registration(
    store: &Store,
    rp: &Webauthn,
    session: &Session,
    form: &CeremonyFinish,
    origin: &Origin,
) -> Result<PasskeySummary, ServiceError> {
    let answer: RegisterPublicKeyCredential = answer(&form.credential)?;
    let ceremony = take_ceremony(store, &form.ceremony, Purpose::Register).await?;
    if ceremony.user_id != Some(session.user_id) {
        return Err(ServiceError::Unauthorized(
            "This passkey request belongs to another session; start again.".to_owned(),
        ));
    }
    let Registration { handle, state } = parsed(&ceremony.state)?;
    let passkey = rp
        .finish_passkey_registration(&answer, &state)
        .map_err(|error| {
            tracing::info!(%error, "a passkey registration was refused");
            refused("was not accepted: it does not answer this request, or this site")
        })?;
    let now = clock::now();
    let event = NewEvent {
        user_id: session.user_id,
        kind: EventKind::PasskeyAdded.as_str(),
        detail: &ceremony.name,
        origin,
        at: now,
    };
    let Some(id) = store
        .insert_passkey(
            session.user_id,
            passkey.cred_id(),
            handle.as_bytes(),
            &ceremony.name,
            &json(&passkey)?,
            MAX_PASSKEYS,
            &event,
        )
        .await?
    else {
        return Err(refused(&format!(
            "is registered already, or you have {MAX_PASSKEYS} passkeys; remove one first"
        )));
    };
    Ok(PasskeySummary {
        id,
        name: ceremony.name,
        created_at: now,
        last_used_at: None,
    })
}

/// Removes one of the member's passkeys.
pub async fn remove(
    store: &Store,
    session: &Session,
    id: i64,
    origin: &Origin,
) -> Result<String, ServiceError> {
    let event = NewEvent {
        user_id: session.user_id,
        kind: EventKind::PasskeyRemoved.as_str(),
        detail: "",
        origin,
        at: clock::now(),
    };
    store
        .delete_passkey(session.user_id, id, &event)
        .await?
        .ok_or_else(|| ServiceError::NotFound("You have no such passkey.".to_owned()))
}

/// Starts a sign-in with a passkey alone: any of this site's passkeys the browser has.
pub async fn start_sign_in(
    store: &Store,
    limits: &Limits,
    rp: &Webauthn,
    client: &str,
) -> Result<CeremonyStart, ServiceError> {
    crate::server::identity::throttle::count_passkey_start(store, limits, client).await?;
    let (mut options, state) = rp.start_discoverable_authentication().map_err(internal)?;
    // Asked for by a button, so the browser's own dialog, not the autofill list.
    options.mediation = None;
    let ceremony = Ceremony {
        user_id: None,
        name: String::new(),
        state: json(&state)?,
    };
    let options = serde_json::to_value(options).map_err(internal)?;
    open_ceremony(store, Purpose::SignIn, ceremony, options).await
}

/// Stores the passkey's record after a use (its signature counter, backup state) and when.
async fn record_use(
    store: &Store,
    stored: &StoredPasskey,
    result: &AuthenticationResult,
) -> Result<(), ServiceError> {
    let mut passkey: Passkey = parsed(&stored.credential)?;
    passkey.update_credential(result);
    Ok(store
        .passkey_used(stored.id, &json(&passkey)?, clock::now())
        .await?)
}

fn not_accepted() -> ServiceError {
    ServiceError::Unauthorized(
        "That passkey was not accepted: it is not registered here, or it did not answer this \
         request. Sign in with your password, or try another passkey."
            .to_owned(),
    )
}

/// Finishes a passkey-only sign-in: a new session of the passkey's member.
pub async fn finish_sign_in(
    store: &Store,
    security: &SecuritySettings,
    mail: &MailQueue,
    rp: &Webauthn,
    form: &CeremonyFinish,
    requester: Requester<'_>,
    session_ttl_secs: i64,
) -> Result<SignedIn, ServiceError> {
    let answer: PublicKeyCredential = answer(&form.credential)?;
    let ceremony = take_ceremony(store, &form.ceremony, Purpose::SignIn).await?;
    let state: DiscoverableAuthentication = parsed(&ceremony.state)?;
    let (handle, credential_id) = rp
        .identify_discoverable_authentication(&answer)
        .map_err(|_| not_accepted())?;
    let Some(stored) = store.passkey_by_credential(credential_id).await? else {
        return Err(not_accepted());
    };
    if stored.user_handle != handle.as_bytes() {
        return Err(not_accepted());
    }
    let passkey: Passkey = parsed(&stored.credential)?;
    let result = rp
        .finish_discoverable_authentication_v2(&answer, state, &passkey)
        .map_err(|error| {
            tracing::info!(%error, "a passkey sign-in was refused");
            not_accepted()
        })?;
    record_use(store, &stored, &result).await?;
    accounts::passkey_signed_in(
        store,
        security,
        mail,
        stored.user_id,
        "passkey",
        requester,
        session_ttl_secs,
    )
    .await
}

/// Starts a sign-in's second step with one of the member's passkeys (challenge `challenge`
/// from the password step).
pub async fn start_second_step(
    store: &Store,
    rp: &Webauthn,
    challenge: &str,
) -> Result<CeremonyStart, ServiceError> {
    let Some(pending) = store
        .peek_challenge(&token_hash(challenge), clock::now())
        .await?
    else {
        return Err(two_factor::challenge_expired());
    };
    let passkeys = store
        .passkeys_of(pending.user_id)
        .await?
        .iter()
        .map(|stored| parsed::<Passkey>(&stored.credential))
        .collect::<Result<Vec<_>, _>>()?;
    if passkeys.is_empty() {
        return Err(ServiceError::NotFound(
            "You have no passkey yet: use a code from your app, or a recovery code.".to_owned(),
        ));
    }
    let (options, state) = rp
        .start_passkey_authentication(&passkeys)
        .map_err(internal)?;
    let ceremony = Ceremony {
        user_id: Some(pending.user_id),
        name: String::new(),
        state: json(&state)?,
    };
    let options = serde_json::to_value(options).map_err(internal)?;
    open_ceremony(store, Purpose::SecondFactor, ceremony, options).await
}

/// `POST /api/auth/login/second-factor/passkey`: the challenge of the password step and the
/// answer to the ceremony `…/passkey/start` began.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PasskeyStep {
    #[serde(default)]
    pub challenge: String,
    #[serde(default)]
    pub ceremony: String,
    #[schema(value_type = Object)]
    #[serde(default)]
    pub credential: serde_json::Value,
}

/// Finishes a sign-in's second step with a passkey: the challenge is used up and a session
/// starts.
pub async fn finish_second_step(
    store: &Store,
    security: &SecuritySettings,
    mail: &MailQueue,
    rp: &Webauthn,
    form: &PasskeyStep,
    requester: Requester<'_>,
    session_ttl_secs: i64,
) -> Result<SignedIn, ServiceError> {
    let answer: PublicKeyCredential = answer(&form.credential)?;
    let ceremony = take_ceremony(store, &form.ceremony, Purpose::SecondFactor).await?;
    let hash = token_hash(&form.challenge);
    let Some(challenge) = store
        .attempt_challenge(&hash, clock::now(), two_factor::CHALLENGE_ATTEMPTS)
        .await?
    else {
        return Err(two_factor::challenge_expired());
    };
    if ceremony.user_id != Some(challenge.user_id) {
        return Err(not_accepted());
    }
    let state: PasskeyAuthentication = parsed(&ceremony.state)?;
    let result = match rp.finish_passkey_authentication(&answer, &state) {
        Ok(result) => result,
        Err(error) => {
            tracing::info!(%error, "a passkey second step was refused");
            crate::server::identity::security_log::record(
                store,
                challenge.user_id,
                EventKind::SecondFactorFailed,
                "passkey",
                &requester.origin(),
            )
            .await?;
            return Err(not_accepted());
        }
    };
    if let Some(stored) = store.passkey_by_credential(result.cred_id()).await? {
        record_use(store, &stored, &result).await?;
    }
    if !store.delete_challenge(&hash).await? {
        return Err(two_factor::challenge_expired());
    }
    accounts::second_step_passed(
        store,
        security,
        mail,
        challenge,
        "passkey_second_step",
        requester,
        session_ttl_secs,
    )
    .await
}
