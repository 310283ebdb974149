//! The support profile API (seed 000): `GET` it, `PUT` the whole of it, in camelCase.

use app::{
    model::support::SupportProfile,
    server::{error::ServiceError, identity::client::Caller, profiles::support, state::AppState},
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

use super::{
    envelope::ApiError,
    etag,
    partner::{PartnerError, PartnerErrorBody},
    session_auth::Authenticated,
};

/// The largest PUT body accepted; more is a 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SupportProfileResource {
    email: Option<String>,
    telephone: Option<String>,
    website: Option<String>,
    profile_type: &'static str,
    links: Links,
    attributes: Attributes,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Links {
    #[serde(rename = "self")]
    self_link: Link,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Link {
    uri: &'static str,
    method: &'static str,
    headers: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
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

/// The seed serves the resource under two names, and the partner SDKs spell the API version
/// `v1` or `v1.0`: all four paths are routed and described.
macro_rules! support_profile_operations {
    ($path:literal, $read:ident, $read_id:literal, $replace:ident, $replace_id:literal) => {
        #[utoipa::path(
            get,
            path = $path,
            operation_id = $read_id,
            summary = "Read the support profile (created empty on first read).",
            tag = "partner",
            params(
                ("MS-RequestId" = Option<String>, Header, description = "Echoed; generated when absent."),
                ("MS-CorrelationId" = Option<String>, Header, description = "Echoed; generated when absent."),
            ),
            security(("bearer" = []), ("session_cookie" = [])),
            responses(
                (status = 200, description = "The support profile (empty until first replaced).", body = SupportProfileResource,
                    headers(("ETag" = String, description = "Its version; send it back as If-Match."))),
                (status = 401, description = "No valid session.", body = PartnerErrorBody),
                (status = 500, description = "Something failed on the server.", body = PartnerErrorBody),
            ),
        )]
        pub async fn $read(
            state: State<AppState>,
            auth: Result<Authenticated, ApiError>,
        ) -> Result<Response, PartnerError> {
            read(state, auth).await
        }

        #[utoipa::path(
            put,
            path = $path,
            operation_id = $replace_id,
            summary = "Replace the whole support profile.",
            tag = "partner",
            request_body(content = SupportProfile, description = "The whole profile: a field left out or null is cleared. Keys are matched ignoring case; other properties are ignored.", example = json!({
                "email": "help@example.com",
                "telephone": "+44 20 7946 0958",
                "website": "https://help.example.com",
            })),
            params(
                ("If-Match" = Option<String>, Header, description = "The ETag this replacement was made from; if the profile has changed since, nothing is saved (412)."),
                ("MS-RequestId" = Option<String>, Header, description = "Echoed; generated when absent."),
                ("MS-CorrelationId" = Option<String>, Header, description = "Echoed; generated when absent."),
            ),
            security(("bearer" = []), ("session_cookie" = [])),
            responses(
                (status = 200, description = "Replaced: the stored profile.", body = SupportProfileResource,
                    headers(("ETag" = String, description = "The new version."))),
                (status = 400, description = "The body is not JSON, not an object, or a field failed its rule (each in data), or If-Match is not an entity tag; nothing was saved.", body = PartnerErrorBody),
                (status = 401, description = "No valid session.", body = PartnerErrorBody),
                (status = 403, description = "Sent by a browser from a page of another site, or with the session cookie and no header that says where it came from; nothing was changed.", body = PartnerErrorBody),
                (status = 412, description = "If-Match names another version; nothing was saved.", body = PartnerErrorBody),
                (status = 413, description = "The body is larger than 64 KiB.", body = PartnerErrorBody),
                (status = 415, description = "The body is not sent as application/json.", body = PartnerErrorBody),
                (status = 500, description = "Something failed on the server; nothing was saved.", body = PartnerErrorBody),
            ),
        )]
        pub async fn $replace(
            state: State<AppState>,
            auth: Result<Authenticated, ApiError>,
            caller: Caller,
            headers: HeaderMap,
            body: Result<Bytes, BytesRejection>,
        ) -> Result<Response, PartnerError> {
            replace(state, auth, caller, headers, body).await
        }
    };
}

support_profile_operations!(
    "/v1/profiles/support",
    read_support,
    "read_support_profile",
    replace_support,
    "replace_support_profile"
);
support_profile_operations!(
    "/v1/profiles/supportprofile",
    read_supportprofile,
    "read_support_profile_by_long_name",
    replace_supportprofile,
    "replace_support_profile_by_long_name"
);
support_profile_operations!(
    "/v1.0/profiles/support",
    read_support_v1_0,
    "read_support_profile_v1_0",
    replace_support_v1_0,
    "replace_support_profile_v1_0"
);
support_profile_operations!(
    "/v1.0/profiles/supportprofile",
    read_supportprofile_v1_0,
    "read_support_profile_by_long_name_v1_0",
    replace_supportprofile_v1_0,
    "replace_support_profile_by_long_name_v1_0"
);

/// `GET /v1/profiles/support`: the profile, created empty on first read, with its `ETag`.
async fn read(
    State(state): State<AppState>,
    auth: Result<Authenticated, ApiError>,
) -> Result<Response, PartnerError> {
    let user_id = session(auth)?.session.user_id;
    let stored = support::read(&state.store, user_id).await?;
    Ok(resource(user_id, stored))
}

/// `PUT /v1/profiles/supportprofile`: replaces the whole profile; what is left out is cleared.
async fn replace(
    State(state): State<AppState>,
    auth: Result<Authenticated, ApiError>,
    caller: Caller,
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
    let expected = etag::expected_version(&headers, 's', user_id)?;
    let replaced = support::replace(
        &state.store,
        user_id,
        &replacement,
        expected,
        &caller.origin(),
    )
    .await?;
    Ok(resource(user_id, replaced.stored))
}
