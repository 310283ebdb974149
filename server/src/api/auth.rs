//! `/api/auth/*`, `/login/me` and the member's linked profiles.

use app::{
    model::account::{SignIn, SignUp},
    server::{
        accounts,
        error::ServiceError,
        session_cookie::{client_address, expired_session_cookie, is_https, session_cookie},
        sessions::{self, IssuedToken},
        state::AppState,
    },
};
use axum::{
    extract::{FromRequestParts, Path, State},
    http::{header, request::Parts, HeaderMap, StatusCode, Uri},
    response::Response,
};
use serde::Serialize;

use super::{
    envelope::{success, ApiError},
    json_body::JsonBody,
    session_auth::Authenticated,
};

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessToken {
    access_token: String,
    expires_at: String,
}

fn signed_in(
    status: StatusCode,
    issued: IssuedToken,
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
) -> Response {
    let cookie = session_cookie(
        &issued.token,
        state.session_ttl_secs,
        is_https(headers, uri.scheme_str()),
    );
    let mut response = success(
        status,
        AccessToken {
            access_token: issued.token,
            expires_at: app::server::clock::to_rfc3339(issued.expires_at),
        },
    );
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}

/// The client's IP address, for throttling (see `session_cookie::client_address`).
pub struct ClientAddr(String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_address(&parts.extensions)))
    }
}

pub async fn sign_up(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    JsonBody(form): JsonBody<SignUp>,
) -> Result<Response, ApiError> {
    let issued = accounts::sign_up(&state.pool, form, state.session_ttl_secs).await?;
    Ok(signed_in(
        StatusCode::CREATED,
        issued,
        &state,
        &headers,
        &uri,
    ))
}

pub async fn log_in(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    uri: Uri,
    JsonBody(form): JsonBody<SignIn>,
) -> Result<Response, ApiError> {
    let issued = accounts::sign_in(&state.pool, form, &client, state.session_ttl_secs).await?;
    Ok(signed_in(StatusCode::OK, issued, &state, &headers, &uri))
}

pub async fn log_out(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    sessions::revoke(&state.pool, session.id).await?;
    let mut response = success(StatusCode::OK, ());
    response.headers_mut().insert(
        header::SET_COOKIE,
        expired_session_cookie(is_https(&headers, uri.scheme_str())),
    );
    Ok(response)
}

pub async fn me(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
) -> Result<Response, ApiError> {
    let current = accounts::current_session(&state.pool, &session).await?;
    Ok(success(StatusCode::OK, current))
}

pub async fn linked_profiles(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
) -> Result<Response, ApiError> {
    let profiles = accounts::linked_profiles(&state.pool, &session).await?;
    Ok(success(StatusCode::OK, profiles))
}

/// Makes one of the member's own profiles the session's active one.
pub async fn activate_profile(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    Path(profile_id): Path<i64>,
) -> Result<Response, ApiError> {
    if !sessions::switch_profile(&state.pool, &session, profile_id).await? {
        // The same answer whether the profile is someone else's or does not exist.
        return Err(ServiceError::NotFound(format!("You have no profile {profile_id}.")).into());
    }
    let switched = sessions::Session {
        active_profile_id: profile_id,
        ..session
    };
    let current = accounts::current_session(&state.pool, &switched).await?;
    Ok(success(StatusCode::OK, current))
}
