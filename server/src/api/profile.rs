//! The members-portal profile API (seed 004): read the editable profile, patch it, list countries.

use app::{
    model::profile::patch::ProfilePatch,
    server::{countries, drafting, error::ServiceError, profiles, state::AppState},
};
use axum::{
    extract::{Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::Response,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    envelope::{success, ApiError},
    etag,
    json_body::JsonBody,
    session_auth::Authenticated,
};

/// The largest PATCH body accepted; more is a 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, Deserialize)]
pub struct ResourceQuery {
    #[serde(rename = "_resource")]
    resource: Option<String>,
}

/// `GET /en/profile?_resource=Coworker`: every editable field, with an `ETag`.
pub async fn read(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    Query(query): Query<ResourceQuery>,
) -> Result<Response, ApiError> {
    if query
        .resource
        .as_deref()
        .is_some_and(|resource| resource != "Coworker")
    {
        return Err(
            ServiceError::NotFound("Only _resource=Coworker is available.".to_owned()).into(),
        );
    }
    let profile = profiles::editable(&state.pool, &session).await?;
    let mut value = profile.fields;
    value.insert("Id".to_owned(), Value::from(profile.id));
    Ok(etag::with_tag(
        success(StatusCode::OK, Value::Object(value)),
        'p',
        profile.id,
        profile.version,
    ))
}

/// `PATCH /api/public/coworker/profile`: the partial update. `Value` lists the changed fields.
pub async fn patch(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, ApiError> {
    let patch = ProfilePatch::from_json(&body);
    let expected = etag::expected_version(&headers, 'p', session.active_profile_id);
    let outcome = profiles::update(
        &state.pool,
        &state.profile_writer,
        &session,
        &patch,
        expected,
    )
    .await?;
    Ok(etag::with_tag(
        success(StatusCode::OK, outcome.changed),
        'p',
        session.active_profile_id,
        outcome.version,
    ))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CountryList {
    countries: Vec<countries::Country>,
}

/// `GET /api/public/countries`: public and cacheable.
pub async fn countries(State(state): State<AppState>) -> Result<Response, ApiError> {
    let list = CountryList {
        countries: countries::all(&state.pool).await?,
    };
    let mut response = success(StatusCode::OK, list);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(response)
}

/// The `Value` of a profile draft.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GeneratedSummary {
    profile_summary: String,
    /// Whether the draft came from the configured language model rather than the built-in
    /// composer.
    open_ai_profile_available: bool,
}

/// `POST /en/profile/GenerateOpenAiProfile`: a draft of the profile summary from the saved
/// professional fields, for review. It saves nothing; the client accepts it with a PATCH.
pub async fn generate_summary(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
) -> Result<Response, ApiError> {
    let draft = drafting::draft_summary(&state, &session).await?;
    let mut response = success(
        StatusCode::OK,
        GeneratedSummary {
            profile_summary: draft.markdown,
            open_ai_profile_available: draft.by_language_model,
        },
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
