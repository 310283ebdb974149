//! Passkeys through the API (see `app::server::identity::passkeys`): the member's list, registering and
//! removing one, signing in with one alone, and one as a sign-in's second step. Each ceremony is
//! a `…/start` that answers with WebAuthn options and a `Ceremony` token, then the call that
//! takes the authenticator's answer with that token. The security page's script uses the same
//! operations with the session cookie.

use app::server::{
    error::ServiceError,
    identity::client::Caller,
    identity::passkeys::{
        self, AddPasskey, CeremonyFinish, CeremonyStart, PasskeyStep, PasskeySummary, Webauthn,
    },
    identity::session_cookie::{challenge_cookie, cookie_value, CHALLENGE_COOKIE},
    state::AppState,
};
use axum::{
    extract::{rejection::PathRejection, Path, State},
    http::{header, HeaderMap, StatusCode},
    response::Response,
};
use serde::Deserialize;

use super::{
    auth::signed_in,
    email::Done,
    envelope::{success, ActionConfirmation, ApiError, NoValue},
    json_body::JsonBody,
    openapi::{CrossSite, NotJson, ServerError, Unauthorized},
    security::invalid,
    session_auth::Authenticated,
};

/// The relying party for this request (`PUBLIC_URL`, else its `Host`).
fn relying_party(state: &AppState, headers: &HeaderMap) -> Result<Webauthn, ServiceError> {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok());
    passkeys::relying_party(state.security.public_origin.as_deref(), host)
}

/// `GET /api/account/passkeys`: the member's passkeys.
#[utoipa::path(
    get,
    path = "/api/account/passkeys",
    operation_id = "list_passkeys",
    tag = "security",
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "The member's passkeys, oldest first.", body = ActionConfirmation<Vec<PasskeySummary>>),
        (status = 401, response = Unauthorized),
        (status = 500, response = ServerError),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
) -> Result<Response, ApiError> {
    let list = passkeys::list(&state.store, session.user_id).await?;
    Ok(success(StatusCode::OK, list))
}

/// `POST /api/account/passkeys/start`: starts registering a passkey.
#[utoipa::path(
    post,
    path = "/api/account/passkeys/start",
    operation_id = "start_passkey_registration",
    tag = "security",
    security(("bearer" = []), ("session_cookie" = [])),
    request_body(content = AddPasskey, example = json!({ "Name": "Laptop", "CurrentPassword": "a quiet harbour at dusk", "Code": "" })),
    responses(
        (status = 200, description = "Pass `Options` to `navigator.credentials.create()` and send its answer with `Ceremony` to `POST /api/account/passkeys` within 5 minutes.", body = ActionConfirmation<CeremonyStart>),
        (status = 400, description = "The name is missing, longer than 60 characters or has control characters (Name); the password (CurrentPassword) or, with the authenticator app on, the code (Code) is missing or wrong; or the member has 10 passkeys.", body = ActionConfirmation<NoValue>),
        (status = 401, response = Unauthorized),
        (status = 403, description = "The request did not come from this site, or the site is reached by an IP address (passkeys need a name: set PUBLIC_URL).", body = ActionConfirmation<NoValue>),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 429, description = "Too many wrong passwords or codes for this member lately.", body = ActionConfirmation<NoValue>,
            headers(("Retry-After" = u64, description = "Seconds until one can be tried again."))),
        (status = 500, response = ServerError),
    ),
)]
pub async fn start_registration(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(form): JsonBody<AddPasskey>,
) -> Result<Response, ApiError> {
    let rp = relying_party(&state, &headers)?;
    let started = passkeys::start_registration(
        &state.store,
        &state.security.limits,
        &rp,
        &session,
        &form,
        &caller.origin(),
    )
    .await?;
    Ok(success(StatusCode::OK, started))
}

/// `POST /api/account/passkeys`: finishes registering a passkey.
#[utoipa::path(
    post,
    path = "/api/account/passkeys",
    operation_id = "finish_passkey_registration",
    tag = "security",
    security(("bearer" = []), ("session_cookie" = [])),
    request_body(content = CeremonyFinish, example = json!({ "Ceremony": "the Ceremony from /start", "Credential": { "id": "…", "rawId": "…", "type": "public-key", "response": { "attestationObject": "…", "clientDataJSON": "…" } } })),
    responses(
        (status = 201, description = "Registered; it signs in from the sign-in page and can stand in for an authenticator code.", body = ActionConfirmation<PasskeySummary>),
        (status = 400, description = "The credential is not a WebAuthn answer, does not answer this ceremony or this site, or is registered already (an error on Credential).", body = ActionConfirmation<NoValue>),
        (status = 401, description = "Not signed in, or the ceremony is unknown, expired or used (start again).", body = ActionConfirmation<NoValue>),
        (status = 403, response = CrossSite),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 500, response = ServerError),
    ),
)]
pub async fn finish_registration(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(form): JsonBody<CeremonyFinish>,
) -> Result<Response, ApiError> {
    let rp = relying_party(&state, &headers)?;
    let added =
        passkeys::finish_registration(&state.store, &rp, &session, &form, &caller.origin()).await?;
    Ok(success(StatusCode::CREATED, added))
}

/// `DELETE /api/account/passkeys/{id}`: removes one of the member's passkeys.
#[utoipa::path(
    delete,
    path = "/api/account/passkeys/{id}",
    operation_id = "remove_passkey",
    tag = "security",
    security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The `Id` of a passkey from `GET /api/account/passkeys`.")),
    responses(
        (status = 200, description = "Removed; it no longer signs in.", body = ActionConfirmation<Done>),
        (status = 400, description = "The id is not a whole number.", body = ActionConfirmation<NoValue>),
        (status = 401, response = Unauthorized),
        (status = 403, response = CrossSite),
        (status = 404, description = "The member has no passkey with this id.", body = ActionConfirmation<NoValue>),
        (status = 500, response = ServerError),
    ),
)]
pub async fn remove(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    caller: Caller,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Response, ApiError> {
    let Ok(Path(id)) = id else {
        return Err(invalid(
            "id",
            "The passkey id in the address must be a whole number.",
        )
        .into());
    };
    let name = passkeys::remove(&state.store, &session, id, &caller.origin()).await?;
    Ok(success(
        StatusCode::OK,
        Done {
            message: format!("The passkey {name:?} is removed."),
        },
    ))
}

/// `POST /api/auth/passkey/start`: starts a sign-in with a passkey alone.
#[utoipa::path(
    post,
    path = "/api/auth/passkey/start",
    operation_id = "start_passkey_sign_in",
    tag = "session",
    responses(
        (status = 200, description = "Pass `Options` to `navigator.credentials.get()` (the browser offers this site's passkeys) and send its answer with `Ceremony` to `POST /api/auth/passkey` within 5 minutes.", body = ActionConfirmation<CeremonyStart>),
        (status = 403, description = "The request did not come from this site, or the site is reached by an IP address (passkeys need a name: set PUBLIC_URL).", body = ActionConfirmation<NoValue>),
        (status = 429, description = "Too many passkey sign-ins started from this address lately.", body = ActionConfirmation<NoValue>,
            headers(("Retry-After" = u64, description = "Seconds until one can be started again."))),
        (status = 500, response = ServerError),
    ),
)]
pub async fn start_sign_in(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rp = relying_party(&state, &headers)?;
    let started =
        passkeys::start_sign_in(&state.store, &state.security.limits, &rp, &caller.client).await?;
    Ok(success(StatusCode::OK, started))
}

/// `POST /api/auth/passkey`: signs in with a passkey alone.
#[utoipa::path(
    post,
    path = "/api/auth/passkey",
    operation_id = "passkey_sign_in",
    tag = "session",
    request_body(content = CeremonyFinish, example = json!({ "Ceremony": "the Ceremony from /start", "Credential": { "id": "…", "rawId": "…", "type": "public-key", "response": { "authenticatorData": "…", "clientDataJSON": "…", "signature": "…", "userHandle": "…" } } })),
    responses(
        (status = 200, description = "Signed in: the token, also set as the session cookie. No password or code is asked: a passkey verifies its user itself.", body = ActionConfirmation<crate::api::auth::AccessToken>),
        (status = 400, description = "The credential is not a WebAuthn answer (an error on Credential).", body = ActionConfirmation<NoValue>),
        (status = 401, description = "The passkey is not registered here or did not answer this ceremony, or the ceremony is unknown, expired or used.", body = ActionConfirmation<NoValue>),
        (status = 403, response = CrossSite),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 500, response = ServerError),
    ),
)]
pub async fn sign_in(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(form): JsonBody<CeremonyFinish>,
) -> Result<Response, ApiError> {
    let rp = relying_party(&state, &headers)?;
    let done = passkeys::finish_sign_in(
        &state.store,
        &state.security,
        &state.mail,
        &rp,
        &form,
        caller.requester(),
        state.session_ttl_secs,
    )
    .await?;
    Ok(signed_in(StatusCode::OK, done, &state, caller.https))
}

/// `POST /api/auth/login/second-factor/passkey/start`'s body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ChallengeOnly {
    /// The `Challenge` `/api/auth/login` answered with. A browser that signed in through the
    /// sign-in page leaves it empty: its short-lived cookie holds the challenge.
    #[serde(default)]
    challenge: String,
}

/// The challenge of the body, else of the sign-in page's cookie.
fn challenge_of(given: &str, headers: &HeaderMap) -> String {
    if given.is_empty() {
        cookie_value(headers, CHALLENGE_COOKIE).unwrap_or_default()
    } else {
        given.to_owned()
    }
}

/// `POST /api/auth/login/second-factor/passkey/start`: a passkey as the second step.
#[utoipa::path(
    post,
    path = "/api/auth/login/second-factor/passkey/start",
    operation_id = "start_passkey_second_factor",
    tag = "session",
    request_body(content = ChallengeOnly, example = json!({ "Challenge": "the Challenge from /api/auth/login" })),
    responses(
        (status = 200, description = "Pass `Options` to `navigator.credentials.get()` and send its answer with `Ceremony` and the challenge to `POST /api/auth/login/second-factor/passkey`.", body = ActionConfirmation<CeremonyStart>),
        (status = 400, description = "The body is not JSON of this shape.", body = ActionConfirmation<NoValue>),
        (status = 401, description = "The challenge is unknown or expired: sign in with the password again.", body = ActionConfirmation<NoValue>),
        (status = 403, description = "The request did not come from this site, or the site is reached by an IP address.", body = ActionConfirmation<NoValue>),
        (status = 404, description = "The member has no passkey: use a code.", body = ActionConfirmation<NoValue>),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 500, response = ServerError),
    ),
)]
pub async fn start_second_step(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(form): JsonBody<ChallengeOnly>,
) -> Result<Response, ApiError> {
    let rp = relying_party(&state, &headers)?;
    let challenge = challenge_of(&form.challenge, &headers);
    let started = passkeys::start_second_step(&state.store, &rp, &challenge).await?;
    Ok(success(StatusCode::OK, started))
}

/// `POST /api/auth/login/second-factor/passkey`: finishes the second step with a passkey.
#[utoipa::path(
    post,
    path = "/api/auth/login/second-factor/passkey",
    operation_id = "passkey_second_factor",
    tag = "session",
    request_body(content = PasskeyStep, example = json!({ "Challenge": "the Challenge from /api/auth/login", "Ceremony": "the Ceremony from /start", "Credential": { "id": "…", "type": "public-key", "response": {} } })),
    responses(
        (status = 200, description = "Signed in: the token, also set as the session cookie. The challenge is used up.", body = ActionConfirmation<crate::api::auth::AccessToken>),
        (status = 400, description = "The credential is not a WebAuthn answer (an error on Credential).", body = ActionConfirmation<NoValue>),
        (status = 401, description = "The passkey did not answer, or the challenge or ceremony is unknown, expired or used up.", body = ActionConfirmation<NoValue>),
        (status = 403, response = CrossSite),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 500, response = ServerError),
    ),
)]
pub async fn second_step(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(mut form): JsonBody<PasskeyStep>,
) -> Result<Response, ApiError> {
    let rp = relying_party(&state, &headers)?;
    form.challenge = challenge_of(&form.challenge, &headers);
    let done = passkeys::finish_second_step(
        &state.store,
        &state.security,
        &state.mail,
        &rp,
        &form,
        caller.requester(),
        state.session_ttl_secs,
    )
    .await?;
    let mut response = signed_in(StatusCode::OK, done, &state, caller.https);
    response
        .headers_mut()
        .append(header::SET_COOKIE, challenge_cookie("", 0, caller.https));
    Ok(response)
}
