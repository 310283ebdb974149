//! `/api/auth/password/*` and `/api/auth/email/*`: recovery and the sign-in address by mail.
//! Each operation queues its message and answers at once; none waits for a mail server.

use app::{
    model::account::{ChangeEmail, FollowLink, ForgotPassword, ResetPassword},
    server::{
        identity::client::Caller, identity::email_address, identity::recovery, state::AppState,
    },
};
use axum::{extract::State, http::StatusCode, response::Response};
use serde::Serialize;

use super::{
    envelope::{success, ActionConfirmation, ApiError, NoValue},
    json_body::JsonBody,
    openapi::{CrossSite, NotJson, ServerError, Unauthorized},
    session_auth::Authenticated,
};

/// What happened, in a sentence for the member.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Done {
    pub message: String,
}

fn done(status: StatusCode, message: impl Into<String>) -> Response {
    success(
        status,
        Done {
            message: message.into(),
        },
    )
}

/// What the forgot-password answer says, whether or not an account uses the address.
pub const RESET_SENT: &str = "If an account signs in with this address, a link to choose a new \
                              password is on its way to it. The link works for 30 minutes.";

/// `POST /api/auth/password/forgot`: mails a reset link.
#[utoipa::path(
    post,
    path = "/api/auth/password/forgot",
    operation_id = "forgot_password",
    tag = "recovery",
    request_body(content = ForgotPassword, example = json!({ "Email": "jane@example.com" })),
    responses(
        (status = 202, description = "Queued: a reset link to the account of this address, or, when no account uses it, a message saying so to the address. The answer is the same either way.", body = ActionConfirmation<Done>),
        (status = 400, description = "The address is missing or malformed, or the body is not JSON of this shape.", body = ActionConfirmation<NoValue>),
        (status = 403, response = CrossSite),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 429, description = "Too many messages asked for to this address or from this client lately.", body = ActionConfirmation<NoValue>,
            headers(("Retry-After" = u64, description = "Seconds until a message can be asked for again."))),
        (status = 500, response = ServerError),
    ),
)]
pub async fn forgot_password(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(form): JsonBody<ForgotPassword>,
) -> Result<Response, ApiError> {
    recovery::request_reset(
        &state.store,
        &state.security,
        &state.mail,
        &form,
        caller.requester(),
    )
    .await?;
    Ok(done(StatusCode::ACCEPTED, RESET_SENT))
}

/// `POST /api/auth/password/reset`: sets a new password with a reset link's token.
#[utoipa::path(
    post,
    path = "/api/auth/password/reset",
    operation_id = "reset_password",
    tag = "recovery",
    request_body(content = ResetPassword, example = json!({
        "Token": "the token parameter of the link",
        "NewPassword": "a brighter harbour at dawn",
    })),
    responses(
        (status = 200, description = "The password is changed; every session of the member ended, and the address was told.", body = ActionConfirmation<Done>),
        (status = 400, description = "The link is unknown, expired or used (an error on Token), or the new password fails the location's policy (errors on NewPassword).", body = ActionConfirmation<NoValue>),
        (status = 403, response = CrossSite),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 500, response = ServerError),
    ),
)]
pub async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(form): JsonBody<ResetPassword>,
) -> Result<Response, ApiError> {
    recovery::reset(&state.store, &state.mail, form, &caller.origin()).await?;
    Ok(done(
        StatusCode::OK,
        "Your password is changed and every device was signed out. Sign in with the new password.",
    ))
}

/// `POST /api/auth/email/verify`: follows a verification link.
#[utoipa::path(
    post,
    path = "/api/auth/email/verify",
    operation_id = "verify_email",
    tag = "recovery",
    request_body(content = FollowLink, example = json!({ "Token": "the token parameter of the link" })),
    responses(
        (status = 200, description = "The address is verified.", body = ActionConfirmation<Done>),
        (status = 400, description = "The link is unknown, expired or used (an error on Token).", body = ActionConfirmation<NoValue>),
        (status = 403, response = CrossSite),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 500, response = ServerError),
    ),
)]
pub async fn verify_email(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(form): JsonBody<FollowLink>,
) -> Result<Response, ApiError> {
    email_address::verify(&state.store, &form, &caller.origin()).await?;
    Ok(done(StatusCode::OK, "Your e-mail address is verified."))
}

/// `POST /api/auth/email/verification`: mails the signed-in member a new verification link.
#[utoipa::path(
    post,
    path = "/api/auth/email/verification",
    operation_id = "resend_verification",
    tag = "recovery",
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 202, description = "A new verification link is on its way (older ones no longer work).", body = ActionConfirmation<Done>),
        (status = 200, description = "The address is verified already; nothing was sent.", body = ActionConfirmation<Done>),
        (status = 401, response = Unauthorized),
        (status = 403, response = CrossSite),
        (status = 429, description = "Too many messages asked for to this address or from this client lately.", body = ActionConfirmation<NoValue>,
            headers(("Retry-After" = u64, description = "Seconds until a message can be asked for again."))),
        (status = 500, response = ServerError),
    ),
)]
pub async fn resend_verification(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    caller: Caller,
) -> Result<Response, ApiError> {
    let sent = email_address::resend_verification(
        &state.store,
        &state.security,
        &state.mail,
        &session,
        caller.requester(),
    )
    .await?;
    Ok(if sent {
        done(
            StatusCode::ACCEPTED,
            "A new verification link is on its way to your address.",
        )
    } else {
        done(StatusCode::OK, "Your e-mail address is verified already.")
    })
}

/// `POST /api/auth/email/change`: asks to sign in with another address.
#[utoipa::path(
    post,
    path = "/api/auth/email/change",
    operation_id = "change_email",
    tag = "recovery",
    security(("bearer" = []), ("session_cookie" = [])),
    request_body(content = ChangeEmail, example = json!({
        "NewEmail": "jane.doe@example.org",
        "CurrentPassword": "a quiet harbour at dusk",
    })),
    responses(
        (status = 202, description = "A confirmation link is on its way to the new address; until it is followed, the member signs in with the old one.", body = ActionConfirmation<Done>),
        (status = 400, description = "The new address is malformed or the current one, the current password is missing or wrong, or, with two-factor sign-in on, the code is (errors on NewEmail, CurrentPassword and Code).", body = ActionConfirmation<NoValue>),
        (status = 401, response = Unauthorized),
        (status = 403, response = CrossSite),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 429, description = "Too many wrong passwords, or too many messages asked for to this address or from this client lately.", body = ActionConfirmation<NoValue>,
            headers(("Retry-After" = u64, description = "Seconds until the next attempt is allowed."))),
        (status = 500, response = ServerError),
    ),
)]
pub async fn change_email(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    caller: Caller,
    JsonBody(form): JsonBody<ChangeEmail>,
) -> Result<Response, ApiError> {
    let new = email_address::request_change(
        &state.store,
        &state.security,
        &state.mail,
        &session,
        &form,
        caller.requester(),
    )
    .await?;
    Ok(done(StatusCode::ACCEPTED, change_requested(&new)))
}

/// What the member is told after asking to change their address.
pub fn change_requested(new: &str) -> String {
    format!(
        "A confirmation link is on its way to {new}. Until it is followed, you sign in with \
         your current address."
    )
}

/// `POST /api/auth/email/change/confirm`: follows the link sent to the new address.
#[utoipa::path(
    post,
    path = "/api/auth/email/change/confirm",
    operation_id = "confirm_email_change",
    tag = "recovery",
    request_body(content = FollowLink, example = json!({ "Token": "the token parameter of the link" })),
    responses(
        (status = 200, description = "The member signs in with the new address; the old one was told, with a link that undoes the change.", body = ActionConfirmation<Done>),
        (status = 400, description = "The link is unknown, expired or used, or another account took the address meanwhile (an error on Token).", body = ActionConfirmation<NoValue>),
        (status = 403, response = CrossSite),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 500, response = ServerError),
    ),
)]
pub async fn confirm_email_change(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(form): JsonBody<FollowLink>,
) -> Result<Response, ApiError> {
    email_address::confirm_change(&state.store, &state.mail, &form, &caller.origin()).await?;
    Ok(done(
        StatusCode::OK,
        "Your new address is confirmed: sign in with it from now on.",
    ))
}

/// `POST /api/auth/email/change/undo`: follows the link sent to the old address.
#[utoipa::path(
    post,
    path = "/api/auth/email/change/undo",
    operation_id = "undo_email_change",
    tag = "recovery",
    request_body(content = FollowLink, example = json!({ "Token": "the token parameter of the link" })),
    responses(
        (status = 200, description = "The member signs in with the old address again, and every session of theirs ended.", body = ActionConfirmation<Done>),
        (status = 400, description = "The link is unknown, expired or used, or another account took the old address meanwhile (an error on Token).", body = ActionConfirmation<NoValue>),
        (status = 403, response = CrossSite),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 500, response = ServerError),
    ),
)]
pub async fn undo_email_change(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(form): JsonBody<FollowLink>,
) -> Result<Response, ApiError> {
    email_address::undo_change(&state.store, &state.mail, &form, &caller.origin()).await?;
    Ok(done(
        StatusCode::OK,
        "The change is undone: sign in with this address again. Every device was signed out.",
    ))
}
