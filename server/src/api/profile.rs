//! The members-portal profile API (seed 004): read the editable profile, patch it, list countries.

use app::{
    model::{
        field_error::FieldError,
        profile::patch::{values_json, ProfilePatch},
    },
    server::{
        error::ServiceError,
        identity::client::Caller,
        identity::session_cookie::{presented_token, Credential},
        identity::sessions,
        profiles::countries,
        profiles::drafting,
        profiles::{self, Presented},
        state::AppState,
    },
};
use axum::{
    extract::{rejection::QueryRejection, Query, State},
    http::{header, Extensions, HeaderMap, HeaderValue, StatusCode},
    response::Response,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    envelope::{success, ActionConfirmation, ApiError, NoValue},
    etag,
    json_body::JsonBody,
    openapi::{
        CrossSite, NotJson, ProfilePatchBody, ProfileValues, ResourceName, ServerError,
        Unauthorized,
    },
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
#[utoipa::path(
    get,
    path = "/en/profile",
    operation_id = "read_profile",
    tag = "profile",
    params(("_resource" = Option<ResourceName>, Query, description = "The resource to read; Coworker, the default, is the only one.")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "Every editable field of the active profile.", body = ActionConfirmation<ProfileValues>,
            headers(("ETag" = String, description = "The profile's version; send it back as If-Match."))),
        (status = 400, description = "The query cannot be read.", body = ActionConfirmation<NoValue>),
        (status = 401, response = Unauthorized),
        (status = 404, description = "Another _resource was asked for, or the active profile is gone.", body = ActionConfirmation<NoValue>),
        (status = 500, response = ServerError),
    ),
)]
pub async fn read(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
    query: Result<Query<ResourceQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Ok(Query(query)) = query else {
        return Err(ServiceError::Validation(vec![FieldError {
            property_name: "_resource".to_owned(),
            message: "The query must name at most one _resource.".to_owned(),
            attempted_value: None,
        }])
        .into());
    };
    if query
        .resource
        .as_deref()
        .is_some_and(|resource| resource != "Coworker")
    {
        return Err(
            ServiceError::NotFound("Only _resource=Coworker is available.".to_owned()).into(),
        );
    }
    let profile = profiles::editable(&state.store, &session).await?;
    let mut value = values_json(&profile.values);
    value.insert("Id".to_owned(), Value::from(profile.id));
    Ok(etag::with_tag(
        success(StatusCode::OK, Value::Object(value)),
        'p',
        profile.id,
        profile.version,
    ))
}

/// `PATCH /api/public/coworker/profile`: the partial update. `Value` lists the changed fields.
#[utoipa::path(
    patch,
    path = "/api/public/coworker/profile",
    operation_id = "update_profile",
    tag = "profile",
    request_body(content = ProfilePatchBody, example = json!({
        "Position": "Product Designer",
        "ProfileIsPublic": true,
        "ProfileTags": "design, research",
        "NickName": null,
    })),
    params(("If-Match" = Option<String>, Header, description = "The ETag of the version this change was made from; if the profile has changed since, nothing is saved (412). Without it, the last write wins.")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "Saved: the wire names of the fields whose value changed (Password for a new password).", body = ActionConfirmation<Vec<String>>,
            headers(("ETag" = String, description = "The new version."))),
        (status = 400, description = "Fields failed their rules (each in Errors, with what was sent, never a password), an unknown field, a body that is not a JSON object, or an If-Match that is not an entity tag; nothing was saved.", body = ActionConfirmation<NoValue>),
        (status = 401, response = Unauthorized),
        (status = 403, response = CrossSite),
        (status = 412, description = "If-Match names another version: the profile changed since it was read; nothing was saved.", body = ActionConfirmation<NoValue>),
        (status = 413, description = "The body is larger than 1 MiB.", body = ActionConfirmation<NoValue>),
        (status = 415, response = NotJson),
        (status = 429, description = "Too many wrong current passwords.", body = ActionConfirmation<NoValue>,
            headers(("Retry-After" = u64, description = "Seconds until an attempt is allowed again."))),
        (status = 500, response = ServerError),
    ),
)]
pub async fn patch(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    caller: Caller,
    body: Result<JsonBody<Value>, Response>,
) -> Result<Response, ApiError> {
    // The session is checked by the write itself when it can be (see `update_presented`);
    // without one, the answer is 401 whatever else is wrong with the request.
    let Some((token, credential)) = presented_token(&headers) else {
        return Err(sessions::signed_out().into());
    };
    let presented = Presented {
        token: &token,
        by_cookie: credential == Credential::Cookie,
    };
    let ttl = state.session_ttl_secs;
    let (body, if_match) = match (body, etag::if_match(&headers, 'p')) {
        (Ok(JsonBody(body)), Ok(if_match)) => (body, if_match),
        (Err(rejection), _) => {
            profiles::signed_in(&state.store, presented, ttl).await?;
            return Ok(rejection);
        }
        (Ok(_), Err(error)) => {
            profiles::signed_in(&state.store, presented, ttl).await?;
            return Err(error.into());
        }
    };
    let patch = ProfilePatch::from_json(&body);
    let (session, outcome) = profiles::update_presented(
        profiles::Services {
            store: &state.store,
            writer: &state.profile_writer,
            mail: &state.mail,
            countries: &state.countries,
        },
        presented,
        ttl,
        &patch,
        &if_match,
        (&state.security.limits, &caller.origin()),
    )
    .await?;
    sessions::renew_cookie(&session, &token, &extensions);
    Ok(etag::with_tag(
        success(StatusCode::OK, outcome.changed),
        'p',
        session.active_profile_id,
        outcome.version,
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CountryList {
    countries: Vec<countries::Country>,
}

/// `GET /api/public/countries`: public and cacheable.
#[utoipa::path(
    get,
    path = "/api/public/countries",
    operation_id = "countries",
    tag = "profile",
    responses(
        (status = 200, description = "Every country a profile can name, by name.", body = ActionConfirmation<CountryList>),
        (status = 500, response = ServerError),
    ),
)]
pub async fn countries(State(state): State<AppState>) -> Result<Response, ApiError> {
    let list = CountryList {
        countries: state.countries.all(&state.store).await?,
    };
    let mut response = success(StatusCode::OK, list);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(response)
}

/// The `Value` of a profile draft.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GeneratedSummary {
    profile_summary: String,
    /// Whether the draft came from the configured language model rather than the built-in
    /// composer.
    open_ai_profile_available: bool,
}

/// `POST /en/profile/GenerateOpenAiProfile`: a draft of the profile summary from the saved
/// professional fields, for review. It saves nothing; the client accepts it with a PATCH.
#[utoipa::path(
    post,
    path = "/en/profile/GenerateOpenAiProfile",
    operation_id = "draft_profile_summary",
    tag = "profile",
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "A draft of ProfileSummary, for review; nothing was saved.", body = ActionConfirmation<GeneratedSummary>),
        (status = 400, description = "The profile has too little to write about; Errors names the fields to fill.", body = ActionConfirmation<NoValue>),
        (status = 401, response = Unauthorized),
        (status = 403, response = CrossSite),
        (status = 429, description = "More than 10 drafts in the last hour.", body = ActionConfirmation<NoValue>,
            headers(("Retry-After" = u64, description = "Seconds until a draft is allowed again."))),
        (status = 500, response = ServerError),
        (status = 502, description = "The language model failed or answered something unusable.", body = ActionConfirmation<NoValue>),
        (status = 504, description = "The language model did not answer in time.", body = ActionConfirmation<NoValue>),
    ),
)]
pub async fn generate_summary(
    State(state): State<AppState>,
    Authenticated { session }: Authenticated,
) -> Result<Response, ApiError> {
    let draft = drafting::draft_summary(
        &state.store,
        state.drafter.as_ref(),
        state.security.limits.drafts_per_hour,
        &session,
    )
    .await?;
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
