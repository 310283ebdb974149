//! `/api/account/*`: the member's own sessions (end one, or every other), what happened to their
//! account, the export of their data and the deletion of the account.

use app::{
    model::{
        account::{ConfirmPassword, DeleteAccount},
        field_error::FieldError,
    },
    server::{
        error::ServiceError,
        identity::client::Caller,
        identity::security_log::{self, LogPage, SessionInfo},
        identity::session_cookie::expired_session_cookie,
        privacy::account_data::{self, DataExport},
        state::AppState,
    },
};
use axum::{
    extract::{
        rejection::{PathRejection, QueryRejection},
        Path, Query, State,
    },
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};

use super::{
    email::Done,
    envelope::{success, ActionConfirmation, ApiError, NoValue},
    json_body::JsonBody,
    openapi::{CrossSite, NotJson, ServerError, Unauthorized},
    session_auth::Authenticated,
};

/// `GET /api/account/sessions`: the member's live sessions.
#[utoipa::path(
    get,
    path = "/api/account/sessions",
    operation_id = "list_sessions",
    tag = "security",
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "Every live session of the member, the most recently used first; `Current` marks the one of this request.", body = ActionConfirmation<Vec<SessionInfo>>),
        (status = 401, response = Unauthorized),
        (status = 500, response = ServerError),
    ),
)]
pub async fn list_sessions(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
) -> Result<Response, ApiError> {
    let sessions = security_log::sessions(&state.store, &session).await?;
    Ok(success(StatusCode::OK, sessions))
}

/// How many sessions ended.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Ended {
    ended: usize,
}

/// `DELETE /api/account/sessions/{id}`: ends one of the member's sessions.
#[utoipa::path(
    delete,
    path = "/api/account/sessions/{id}",
    operation_id = "end_session",
    tag = "security",
    security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The `Id` of a session from `GET /api/account/sessions`.")),
    responses(
        (status = 200, description = "Ended: that device is signed out on its next request. Ending the session of this request signs it out (and clears the cookie).", body = ActionConfirmation<Ended>),
        (status = 400, description = "The id is not a whole number.", body = ActionConfirmation<NoValue>),
        (status = 401, response = Unauthorized),
        (status = 403, response = CrossSite),
        (status = 404, description = "The member has no live session with this id (another member's, or one that ended); nothing ended.", body = ActionConfirmation<NoValue>),
        (status = 500, response = ServerError),
    ),
)]
pub async fn end_session(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    caller: Caller,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Response, ApiError> {
    let Ok(Path(id)) = id else {
        return Err(invalid(
            "id",
            "The session id in the address must be a whole number.",
        )
        .into());
    };
    security_log::end_session(&state.store, &session, id, &caller.origin()).await?;
    let mut response = success(StatusCode::OK, Ended { ended: 1 });
    if id == session.id {
        response
            .headers_mut()
            .insert(header::SET_COOKIE, expired_session_cookie(caller.https));
    }
    Ok(response)
}

/// `POST /api/account/sessions/end-others`: ends every session but this request's.
#[utoipa::path(
    post,
    path = "/api/account/sessions/end-others",
    operation_id = "end_other_sessions",
    tag = "security",
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "Every other session ended (0 when there was none).", body = ActionConfirmation<Ended>),
        (status = 401, response = Unauthorized),
        (status = 403, response = CrossSite),
        (status = 500, response = ServerError),
    ),
)]
pub async fn end_other_sessions(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    caller: Caller,
) -> Result<Response, ApiError> {
    let ended = security_log::end_other_sessions(&state.store, &session, &caller.origin()).await?;
    Ok(success(StatusCode::OK, Ended { ended }))
}

/// Which page of the log.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// 1 (the default) is the newest page.
    #[param(minimum = 1)]
    page: Option<i64>,
}

/// `GET /api/account/security-log`: what happened to the member's account.
#[utoipa::path(
    get,
    path = "/api/account/security-log",
    operation_id = "security_log",
    tag = "security",
    security(("bearer" = []), ("session_cookie" = [])),
    params(LogQuery),
    responses(
        (status = 200, description = "A page of the member's security log, newest first: sign-ins (also failed and throttled ones, never what was typed), sign-outs, sessions ended, password and e-mail changes, profile changes and support-profile replacements (field names, never values), each with its time, device and client address. Entries older than the operator's retention period (180 days unless configured) are deleted.", body = ActionConfirmation<LogPage>),
        (status = 400, description = "`page` is not a whole number from 1 on.", body = ActionConfirmation<NoValue>),
        (status = 401, response = Unauthorized),
        (status = 500, response = ServerError),
    ),
)]
pub async fn security_log(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    query: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let page = match query {
        Ok(Query(LogQuery { page: None })) => 1,
        Ok(Query(LogQuery { page: Some(page) })) if page >= 1 => page,
        _ => return Err(invalid("page", "page must be a whole number from 1 on.").into()),
    };
    let page = security_log::log_page(&state.store, session.user_id, page).await?;
    Ok(success(StatusCode::OK, page))
}

/// A field error of the request's own shape (a path parameter, say), with no attempted value.
pub(crate) fn invalid(property: &str, message: &str) -> ServiceError {
    ServiceError::Validation(vec![FieldError {
        property_name: property.to_owned(),
        message: message.to_owned(),
        attempted_value: None,
    }])
}

/// Until when the password confirmation lets this session export.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Reauthenticated {
    /// Unix seconds.
    valid_until: i64,
}

/// `POST /api/account/reauthenticate`: confirms the member's password in this session.
#[utoipa::path(
    post,
    path = "/api/account/reauthenticate",
    operation_id = "reauthenticate",
    tag = "security",
    security(("bearer" = []), ("session_cookie" = [])),
    request_body(content = ConfirmPassword, example = json!({ "CurrentPassword": "a quiet harbour at dusk" })),
    responses(
        (status = 200, description = "Confirmed: this session may export the member's data for the next 10 minutes.", body = ActionConfirmation<Reauthenticated>),
        (status = 400, description = "The password is missing or not correct (an error on CurrentPassword), or, with two-factor sign-in on, Code is missing, wrong or used.", body = ActionConfirmation<NoValue>),
        (status = 401, response = Unauthorized),
        (status = 403, response = CrossSite),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 429, description = "Too many wrong passwords for this member or from this client lately.", body = ActionConfirmation<NoValue>,
            headers(("Retry-After" = u64, description = "Seconds until a password can be tried again."))),
        (status = 500, response = ServerError),
    ),
)]
pub async fn reauthenticate(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    caller: Caller,
    JsonBody(form): JsonBody<ConfirmPassword>,
) -> Result<Response, ApiError> {
    let valid_until = account_data::reauthenticate(
        &state.store,
        &state.security.limits,
        &session,
        &form,
        &caller.client,
    )
    .await?;
    Ok(success(StatusCode::OK, Reauthenticated { valid_until }))
}

/// `GET /api/account/export`: everything stored about the member, as a JSON download.
#[utoipa::path(
    get,
    path = "/api/account/export",
    operation_id = "export_data",
    tag = "security",
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "The member's data as a file (`Content-Disposition: attachment`), not in the envelope: the account, every customer profile with its notification settings, the support profile, the live sessions, the whole security log and the audit rows; never a password or token hash.", body = DataExport),
        (status = 401, response = Unauthorized),
        (status = 403, description = "The session has not confirmed the password in the last 10 minutes (POST /api/account/reauthenticate).", body = ActionConfirmation<NoValue>),
        (status = 500, response = ServerError),
    ),
)]
pub async fn export_data(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
) -> Result<Response, ApiError> {
    let export = account_data::export(&state.store, &session).await?;
    let disposition = format!("attachment; filename=\"{}\"", export.file_name());
    let mut response = Json(export).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `POST /api/account/delete`: deletes the member's account.
#[utoipa::path(
    post,
    path = "/api/account/delete",
    operation_id = "delete_account",
    tag = "security",
    security(("bearer" = []), ("session_cookie" = [])),
    request_body(content = DeleteAccount, example = json!({ "CurrentPassword": "a quiet harbour at dusk", "Email": "jane@example.com" })),
    responses(
        (status = 200, description = "Deleted: the account, its profiles, support profile, sessions, links, drafts, security log and the throttles' rows keyed by it; the address can sign up again and was told. Audit rows of other members' profiles this member changed keep the change with no actor.", body = ActionConfirmation<Done>),
        (status = 400, description = "The password is missing or not correct (CurrentPassword), Email is not the account's address typed out, or, with two-factor sign-in on, Code is missing, wrong or used.", body = ActionConfirmation<NoValue>),
        (status = 401, response = Unauthorized),
        (status = 403, response = CrossSite),
        (status = 413, description = "The body is too large.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 429, description = "Too many wrong passwords for this member or from this client lately.", body = ActionConfirmation<NoValue>,
            headers(("Retry-After" = u64, description = "Seconds until a password can be tried again."))),
        (status = 500, response = ServerError),
    ),
)]
pub async fn delete_account(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    caller: Caller,
    JsonBody(form): JsonBody<DeleteAccount>,
) -> Result<Response, ApiError> {
    account_data::delete(
        &state.store,
        &state.security.limits,
        &state.mail,
        &session,
        &form,
        &caller.client,
    )
    .await?;
    let mut response = success(
        StatusCode::OK,
        Done {
            message: "Your account is deleted. The address can sign up again.".to_owned(),
        },
    );
    response
        .headers_mut()
        .insert(header::SET_COOKIE, expired_session_cookie(caller.https));
    Ok(response)
}
