//! `/api/account/sessions` and `/api/account/security-log`: the member's own sessions (end one,
//! or every other) and what happened to their account.

use app::{
    model::field_error::FieldError,
    server::{
        client::Caller,
        error::ServiceError,
        security_log::{self, LogPage, SessionInfo},
        session_cookie::expired_session_cookie,
        state::AppState,
    },
};
use axum::{
    extract::{
        rejection::{PathRejection, QueryRejection},
        Path, Query, State,
    },
    http::{header, StatusCode},
    response::Response,
};
use serde::{Deserialize, Serialize};

use super::{
    envelope::{success, ActionConfirmation, ApiError, NoValue},
    openapi::{CrossSite, ServerError, Unauthorized},
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

fn invalid(property: &str, message: &str) -> ServiceError {
    ServiceError::Validation(vec![FieldError {
        property_name: property.to_owned(),
        message: message.to_owned(),
        attempted_value: None,
    }])
}
