//! `/api/account/two-factor/*`: the member's two-factor sign-in with an authenticator app, and
//! its recovery codes (see `app::server::identity::two_factor`).

use app::{
    model::{
        account::ConfirmPassword,
        two_factor::{TotpCode, TwoFactorStatus},
    },
    server::{
        identity::client::Caller,
        identity::two_factor::{self, Enrolment},
        state::AppState,
    },
};
use axum::{extract::State, http::StatusCode, response::Response};
use serde::Serialize;

use super::{
    email::Done,
    envelope::{success, ActionConfirmation, ApiError, NoValue},
    json_body::JsonBody,
    openapi::{CrossSite, NotJson, ServerError, Unauthorized},
    session_auth::Authenticated,
};

/// New recovery codes: shown this once, each works once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RecoveryCodes {
    codes: Vec<String>,
}

/// `GET /api/account/two-factor`: whether sign-in asks for a code.
#[utoipa::path(
    get,
    path = "/api/account/two-factor",
    operation_id = "two_factor_status",
    tag = "security",
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "The member's two-factor sign-in.", body = ActionConfirmation<TwoFactorStatus>),
        (status = 401, response = Unauthorized),
        (status = 500, response = ServerError),
    ),
)]
pub async fn status(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
) -> Result<Response, ApiError> {
    let status = two_factor::status(&state.store, session.user_id).await?;
    Ok(success(StatusCode::OK, status))
}

/// `POST /api/account/two-factor/totp`: starts setting up an authenticator app.
#[utoipa::path(
    post,
    path = "/api/account/two-factor/totp",
    operation_id = "begin_totp",
    tag = "security",
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "A new secret, waiting for a code from the app (`/confirm`); nothing changes at sign-in until then. Starting again replaces a secret that was never confirmed.", body = ActionConfirmation<Enrolment>),
        (status = 400, description = "Two-factor sign-in is on already (an error on Totp).", body = ActionConfirmation<NoValue>),
        (status = 401, response = Unauthorized),
        (status = 403, response = CrossSite),
        (status = 500, response = ServerError),
    ),
)]
pub async fn begin_totp(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
) -> Result<Response, ApiError> {
    let enrolment = two_factor::begin(&state.store, &session).await?;
    Ok(success(StatusCode::OK, enrolment))
}

/// `POST /api/account/two-factor/totp/confirm`: turns it on with a code from the app.
#[utoipa::path(
    post,
    path = "/api/account/two-factor/totp/confirm",
    operation_id = "confirm_totp",
    tag = "security",
    security(("bearer" = []), ("session_cookie" = [])),
    request_body(content = TotpCode, example = json!({ "Code": "123456" })),
    responses(
        (status = 200, description = "On: sign-in now asks for a code after the password. The ten recovery codes, shown this once.", body = ActionConfirmation<RecoveryCodes>),
        (status = 400, description = "The code is missing, not 6 digits or not the app's (an error on Code), no set-up was started, or it is on already.", body = ActionConfirmation<NoValue>),
        (status = 401, response = Unauthorized),
        (status = 403, response = CrossSite),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 429, description = "Too many wrong codes or passwords for this member lately.", body = ActionConfirmation<NoValue>,
            headers(("Retry-After" = u64, description = "Seconds until a code can be tried again."))),
        (status = 500, response = ServerError),
    ),
)]
pub async fn confirm_totp(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    caller: Caller,
    JsonBody(form): JsonBody<TotpCode>,
) -> Result<Response, ApiError> {
    let codes = two_factor::confirm(
        &state.store,
        &state.security.limits,
        &session,
        &form,
        &caller.origin(),
    )
    .await?;
    // The API shows them here; the page that would show them once has nothing left to show.
    two_factor::take_recovery_codes(&state.store, session.user_id).await?;
    Ok(success(StatusCode::OK, RecoveryCodes { codes }))
}

/// `POST /api/account/two-factor/totp/disable`: turns it off.
#[utoipa::path(
    post,
    path = "/api/account/two-factor/totp/disable",
    operation_id = "disable_totp",
    tag = "security",
    security(("bearer" = []), ("session_cookie" = [])),
    request_body(content = ConfirmPassword, example = json!({ "CurrentPassword": "a quiet harbour at dusk", "Code": "123456" })),
    responses(
        (status = 200, description = "Off: the secret and the recovery codes are deleted.", body = ActionConfirmation<Done>),
        (status = 400, description = "The password (CurrentPassword) or the code (Code: the app's or a recovery code) is missing or not correct.", body = ActionConfirmation<NoValue>),
        (status = 401, response = Unauthorized),
        (status = 403, response = CrossSite),
        (status = 404, description = "Two-factor sign-in is off already.", body = ActionConfirmation<NoValue>),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 429, description = "Too many wrong codes or passwords for this member lately.", body = ActionConfirmation<NoValue>,
            headers(("Retry-After" = u64, description = "Seconds until one can be tried again."))),
        (status = 500, response = ServerError),
    ),
)]
pub async fn disable_totp(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    caller: Caller,
    JsonBody(form): JsonBody<ConfirmPassword>,
) -> Result<Response, ApiError> {
    two_factor::disable(
        &state.store,
        &state.security.limits,
        &session,
        &form,
        &caller.origin(),
    )
    .await?;
    Ok(success(
        StatusCode::OK,
        Done {
            message: "Two-factor sign-in is off.".to_owned(),
        },
    ))
}

/// `POST /api/account/two-factor/recovery-codes`: ten new recovery codes; the old ones stop
/// working.
#[utoipa::path(
    post,
    path = "/api/account/two-factor/recovery-codes",
    operation_id = "regenerate_recovery_codes",
    tag = "security",
    security(("bearer" = []), ("session_cookie" = [])),
    request_body(content = ConfirmPassword, example = json!({ "CurrentPassword": "a quiet harbour at dusk", "Code": "123456" })),
    responses(
        (status = 200, description = "The new codes, shown this once.", body = ActionConfirmation<RecoveryCodes>),
        (status = 400, description = "The password (CurrentPassword) or the code (Code) is missing or not correct.", body = ActionConfirmation<NoValue>),
        (status = 401, response = Unauthorized),
        (status = 403, response = CrossSite),
        (status = 404, description = "Two-factor sign-in is off: there are no recovery codes.", body = ActionConfirmation<NoValue>),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 429, description = "Too many wrong codes or passwords for this member lately.", body = ActionConfirmation<NoValue>,
            headers(("Retry-After" = u64, description = "Seconds until one can be tried again."))),
        (status = 500, response = ServerError),
    ),
)]
pub async fn regenerate_recovery_codes(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    caller: Caller,
    JsonBody(form): JsonBody<ConfirmPassword>,
) -> Result<Response, ApiError> {
    let codes = two_factor::regenerate(
        &state.store,
        &state.security.limits,
        &session,
        &form,
        &caller.origin(),
    )
    .await?;
    two_factor::take_recovery_codes(&state.store, session.user_id).await?;
    Ok(success(StatusCode::OK, RecoveryCodes { codes }))
}
