//! The support profile API (seed 000): `GET` it, `PUT` the whole of it, in camelCase.

use app::{
    model::support::SupportProfile,
    server::{error::ServiceError, state::AppState, support},
};
use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use serde_json::Value;

use super::{envelope::ApiError, etag, partner::PartnerError, session_auth::Authenticated};

/// The largest PUT body accepted; more is a 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SupportProfileResource {
    email: Option<String>,
    telephone: Option<String>,
    website: Option<String>,
    profile_type: &'static str,
    links: Links,
    attributes: Attributes,
}

#[derive(Debug, Serialize)]
struct Links {
    #[serde(rename = "self")]
    self_link: Link,
}

#[derive(Debug, Serialize)]
struct Link {
    uri: &'static str,
    method: &'static str,
    headers: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Attributes {
    object_type: &'static str,
}

fn resource(user_id: i64, stored: support::StoredSupportProfile) -> Response {
    let profile = stored.profile;
    let body = SupportProfileResource {
        email: profile.email,
        telephone: profile.telephone,
        website: profile.website,
        profile_type: "support_profile",
        links: Links {
            self_link: Link {
                uri: "/v1/profiles/support",
                method: "GET",
                headers: Vec::new(),
            },
        },
        attributes: Attributes {
            object_type: "PartnerSupportProfile",
        },
    };
    etag::with_tag(
        (StatusCode::OK, Json(body)).into_response(),
        's',
        user_id,
        stored.version,
    )
}

fn session(auth: Result<Authenticated, ApiError>) -> Result<Authenticated, PartnerError> {
    auth.map_err(|ApiError(error)| PartnerError::Service(error))
}

/// `GET /v1/profiles/support`: the profile, created empty on first read, with its `ETag`.
pub async fn read(
    State(state): State<AppState>,
    auth: Result<Authenticated, ApiError>,
) -> Result<Response, PartnerError> {
    let user_id = session(auth)?.session.user_id;
    let stored = support::read(&state.pool, user_id).await?;
    Ok(resource(user_id, stored))
}

/// `PUT /v1/profiles/supportprofile`: replaces the whole profile; what is left out is cleared.
pub async fn replace(
    State(state): State<AppState>,
    auth: Result<Authenticated, ApiError>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PartnerError> {
    let user_id = session(auth)?.session.user_id;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| {
            let media = media.trim().to_ascii_lowercase();
            media == "application/json" || media.ends_with("+json")
        });
    if !is_json {
        return Err(PartnerError::Body(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the support profile as JSON with Content-Type: application/json.".to_owned(),
        ));
    }
    let body = body.map_err(|rejection| {
        PartnerError::Body(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The body could not be read: {rejection}"),
        )
    })?;
    let json: Value = serde_json::from_slice(&body).map_err(|error| {
        PartnerError::Body(
            StatusCode::BAD_REQUEST,
            format!("The body is not valid JSON: {error}"),
        )
    })?;
    let replacement = SupportProfile::from_json(&json)
        .and_then(|profile| profile.validate())
        .map_err(ServiceError::Validation)?;
    let expected = etag::expected_version(&headers, 's', user_id);
    let replaced = support::replace(&state.pool, user_id, &replacement, expected).await?;
    Ok(resource(user_id, replaced.stored))
}
