//! A JSON request body whose rejections use the envelope: malformed JSON or a wrong type is a
//! 400, a missing content type a 415, an oversized body a 413.

use axum::{
    extract::{rejection::JsonRejection, FromRequest, Request},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::de::DeserializeOwned;

use super::envelope::failure;

pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(reject(rejection)),
        }
    }
}

fn reject(rejection: JsonRejection) -> Response {
    let (status, message) = match &rejection {
        JsonRejection::MissingJsonContentType(_) => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the body as JSON with Content-Type: application/json.".to_owned(),
        ),
        JsonRejection::JsonSyntaxError(error) => (
            StatusCode::BAD_REQUEST,
            format!("The body is not valid JSON: {}", error.body_text()),
        ),
        JsonRejection::JsonDataError(error) => (
            StatusCode::BAD_REQUEST,
            format!(
                "The body does not have the expected fields: {}",
                error.body_text()
            ),
        ),
        JsonRejection::BytesRejection(_) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "The body is too large.".to_owned(),
        ),
        other => (other.status(), other.body_text()),
    };
    failure(status, message, None).into_response()
}
