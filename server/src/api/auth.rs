//! `/api/auth/*`, `/login/me` and the member's linked profiles.

use app::{
    model::{
        account::{SignIn, SignUp},
        field_error::FieldError,
        two_factor::SecondFactor,
    },
    server::{
        error::ServiceError,
        identity::accounts::{self, CurrentSession, LinkedProfiles, SignInStep, SignedIn},
        identity::client::Caller,
        identity::security_log,
        identity::session_cookie::{device_cookie, expired_session_cookie, session_cookie},
        identity::sessions,
        state::AppState,
    },
};
use axum::{
    extract::{rejection::PathRejection, Path, State},
    http::{header, StatusCode},
    response::Response,
};
use serde::Serialize;

use super::{
    envelope::{success, ActionConfirmation, ApiError, NoValue},
    json_body::JsonBody,
    openapi::{CrossSite, NotJson, ServerError, Unauthorized},
    session_auth::Authenticated,
};

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AccessToken {
    access_token: String,
    expires_at: String,
}

pub(crate) fn signed_in(
    status: StatusCode,
    signed_in: SignedIn,
    state: &AppState,
    secure: bool,
) -> Response {
    let cookie = session_cookie(&signed_in.session.token, state.session_ttl_secs, secure);
    let mut response = success(
        status,
        AccessToken {
            access_token: signed_in.session.token,
            expires_at: app::server::clock::to_rfc3339(signed_in.session.expires_at),
        },
    );
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, cookie);
    headers.append(
        header::SET_COOKIE,
        device_cookie(&signed_in.device_cookie, secure),
    );
    response
}

/// `POST /api/auth/signup`: a new account with its default profile, signed in.
#[utoipa::path(
    post,
    path = "/api/auth/signup",
    operation_id = "sign_up",
    tag = "session",
    request_body(content = SignUp, example = json!({
        "Email": "jane@example.com",
        "Password": "a quiet harbour at dusk",
        "FullName": "Jane Doe",
    })),
    responses(
        (status = 201, description = "Signed up and signed in: the token, also set as the session cookie.", body = ActionConfirmation<AccessToken>),
        (status = 400, description = "A field failed its rule (each in Errors), the e-mail is taken, or the body is not JSON of this shape.", body = ActionConfirmation<NoValue>),
        (status = 403, description = "Sign-up is closed (`server admin sign-up close`), or the request came from a page of another site.", body = ActionConfirmation<NoValue>),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 429, description = "Too many accounts created from this address lately.", body = ActionConfirmation<NoValue>,
            headers(("Retry-After" = u64, description = "Seconds until a sign-up is allowed again."))),
        (status = 500, response = ServerError),
    ),
)]
pub async fn sign_up(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(form): JsonBody<SignUp>,
) -> Result<Response, ApiError> {
    let done = accounts::sign_up(
        &state.store,
        &state.security,
        &state.mail,
        form,
        caller.requester(),
        state.session_ttl_secs,
    )
    .await?;
    Ok(signed_in(StatusCode::CREATED, done, &state, caller.https))
}

/// The answer to a right password when the member turned two-factor sign-in on: no token yet.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SecondFactorRequired {
    /// Send it with a code to `POST /api/auth/login/second-factor`.
    challenge: String,
    /// RFC 3339; at most 5 codes are taken before then.
    expires_at: String,
    /// What the second step may be: `totp` (the authenticator app's 6 digits), `recovery_code`
    /// (both to `/second-factor`), and `passkey` when the member registered one (through
    /// `/second-factor/passkey/start`).
    methods: Vec<&'static str>,
}

/// `POST /api/auth/login`: a session for an e-mail and password.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    operation_id = "log_in",
    tag = "session",
    request_body(content = SignIn, example = json!({
        "Email": "jane@example.com",
        "Password": "a quiet harbour at dusk",
    })),
    responses(
        (status = 200, description = "Signed in: the token, also set as the session cookie.", body = ActionConfirmation<AccessToken>),
        (status = 202, description = "The password is right and the member signs in with two factors: no token yet; send a code with the challenge to `/api/auth/login/second-factor`.", body = ActionConfirmation<SecondFactorRequired>),
        (status = 400, description = "The body is not JSON of this shape.", body = ActionConfirmation<NoValue>),
        (status = 401, description = "Wrong e-mail or password (the same answer for both).", body = ActionConfirmation<NoValue>),
        (status = 403, description = "The password is right but the operator disabled the account (`server admin disable`), or the request came from a page of another site.", body = ActionConfirmation<NoValue>),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 429, description = "Too many failed attempts for this account or from this address.", body = ActionConfirmation<NoValue>,
            headers(("Retry-After" = u64, description = "Seconds until an attempt is allowed again."))),
        (status = 500, response = ServerError),
    ),
)]
pub async fn log_in(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(form): JsonBody<SignIn>,
) -> Result<Response, ApiError> {
    let step = accounts::sign_in(
        &state.store,
        &state.security,
        &state.mail,
        form,
        caller.requester(),
        state.session_ttl_secs,
    )
    .await?;
    Ok(match step {
        SignInStep::SignedIn(done) => signed_in(StatusCode::OK, done, &state, caller.https),
        SignInStep::SecondFactor(challenge, passkey) => success(
            StatusCode::ACCEPTED,
            SecondFactorRequired {
                challenge: challenge.token,
                expires_at: app::server::clock::to_rfc3339(challenge.expires_at),
                methods: if passkey {
                    vec!["totp", "recovery_code", "passkey"]
                } else {
                    vec!["totp", "recovery_code"]
                },
            },
        ),
    })
}

/// `POST /api/auth/login/second-factor`: the second step of a sign-in with two factors.
#[utoipa::path(
    post,
    path = "/api/auth/login/second-factor",
    operation_id = "log_in_second_factor",
    tag = "session",
    request_body(content = SecondFactor, example = json!({
        "Challenge": "the Challenge from /api/auth/login",
        "Code": "123456",
    })),
    responses(
        (status = 200, description = "Signed in: the token, also set as the session cookie. The challenge is used up.", body = ActionConfirmation<AccessToken>),
        (status = 400, description = "The code is not a code, not right, or was used already (an error on Code); the challenge takes another until it has taken 5.", body = ActionConfirmation<NoValue>),
        (status = 401, description = "The challenge is unknown, expired (5 minutes), used up or took 5 codes: sign in with the password again.", body = ActionConfirmation<NoValue>),
        (status = 403, response = CrossSite),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 429, description = "Too many wrong codes or passwords for this member or from this address lately.", body = ActionConfirmation<NoValue>,
            headers(("Retry-After" = u64, description = "Seconds until a code can be tried again."))),
        (status = 500, response = ServerError),
    ),
)]
pub async fn log_in_second_factor(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(form): JsonBody<SecondFactor>,
) -> Result<Response, ApiError> {
    let done = accounts::sign_in_second_step(
        &state.store,
        &state.security,
        &state.mail,
        &form,
        caller.requester(),
        state.session_ttl_secs,
    )
    .await?;
    Ok(signed_in(StatusCode::OK, done, &state, caller.https))
}

/// `POST /api/auth/logout`: ends the session; its token no longer works.
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    operation_id = "log_out",
    tag = "session",
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "Signed out; the session cookie is cleared.", body = ActionConfirmation<NoValue>),
        (status = 401, response = Unauthorized),
        (status = 403, response = CrossSite),
        (status = 500, response = ServerError),
    ),
)]
pub async fn log_out(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    caller: Caller,
) -> Result<Response, ApiError> {
    security_log::sign_out(&state.store, &session, &caller.origin()).await?;
    let mut response = success(StatusCode::OK, NoValue);
    response
        .headers_mut()
        .insert(header::SET_COOKIE, expired_session_cookie(caller.https));
    Ok(response)
}

/// `GET /login/me`: who is signed in, acting as which profile.
#[utoipa::path(
    get,
    path = "/login/me",
    operation_id = "current_session",
    tag = "session",
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "The session.", body = ActionConfirmation<CurrentSession>),
        (status = 401, response = Unauthorized),
        (status = 500, response = ServerError),
    ),
)]
pub async fn me(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
) -> Result<Response, ApiError> {
    let current = accounts::current_session(&state.store, &session).await?;
    Ok(success(StatusCode::OK, current))
}

/// `GET /api/public/coworkers/profiles`: the member's profiles, marking the active one.
#[utoipa::path(
    get,
    path = "/api/public/coworkers/profiles",
    operation_id = "linked_profiles",
    tag = "session",
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "The member and their profiles.", body = ActionConfirmation<LinkedProfiles>),
        (status = 401, response = Unauthorized),
        (status = 500, response = ServerError),
    ),
)]
pub async fn linked_profiles(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
) -> Result<Response, ApiError> {
    let profiles = accounts::linked_profiles(&state.store, &session).await?;
    Ok(success(StatusCode::OK, profiles))
}

/// Makes one of the member's own profiles the session's active one.
#[utoipa::path(
    post,
    path = "/api/public/coworkers/profiles/{id}/activate",
    operation_id = "activate_profile",
    tag = "session",
    params(("id" = i64, Path, description = "The id of one of the member's profiles.")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "The session, now acting as that profile.", body = ActionConfirmation<CurrentSession>),
        (status = 400, description = "The id is not a whole number.", body = ActionConfirmation<NoValue>),
        (status = 401, response = Unauthorized),
        (status = 403, response = CrossSite),
        (status = 404, description = "The member has no profile with this id.", body = ActionConfirmation<NoValue>),
        (status = 500, response = ServerError),
    ),
)]
pub async fn activate_profile(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    profile_id: Result<Path<i64>, PathRejection>,
) -> Result<Response, ApiError> {
    let Ok(Path(profile_id)) = profile_id else {
        return Err(ServiceError::Validation(vec![FieldError {
            property_name: "id".to_owned(),
            message: "The profile id in the address must be a whole number.".to_owned(),
            attempted_value: None,
        }])
        .into());
    };
    if !sessions::switch_profile(&state.store, &session, profile_id).await? {
        // The same answer whether the profile is someone else's or does not exist.
        return Err(ServiceError::NotFound(format!("You have no profile {profile_id}.")).into());
    }
    let switched = sessions::Session {
        active_profile_id: profile_id,
        ..session
    };
    let current = accounts::current_session(&state.store, &switched).await?;
    Ok(success(StatusCode::OK, current))
}
