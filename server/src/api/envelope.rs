//! The ActionConfirmation envelope (SPEC 3.2) of the portal endpoints, and how a service error
//! is rendered in it.

use app::{model::field_error::FieldError, server::error::ServiceError};
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use utoipa::{
    openapi::{schema::Type, ObjectBuilder, RefOr, Schema},
    PartialSchema, ToSchema,
};

/// Every portal answer, success or failure. `Value` is the result on success and `null` on
/// failure; `Errors` lists the failed fields of a validation failure.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ActionConfirmation<T> {
    pub was_successful: bool,
    pub value: Option<T>,
    pub status: u16,
    pub message: Option<String>,
    pub errors: Option<Vec<FieldError>>,
}

/// The `Value` of an answer that has none (a failure, or a sign-out): `null`.
#[derive(Debug, Serialize)]
pub struct NoValue;

impl PartialSchema for NoValue {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::Null).into()
    }
}

impl ToSchema for NoValue {}

/// A successful answer carrying `value`.
pub fn success<T: Serialize>(status: StatusCode, value: T) -> Response {
    (
        status,
        Json(ActionConfirmation {
            was_successful: true,
            value: Some(value),
            status: status.as_u16(),
            message: None,
            errors: None,
        }),
    )
        .into_response()
}

/// A failed answer with a message and, for validation failures, the field errors.
pub fn failure(status: StatusCode, message: String, errors: Option<Vec<FieldError>>) -> Response {
    (
        status,
        Json(ActionConfirmation::<NoValue> {
            was_successful: false,
            value: None,
            status: status.as_u16(),
            message: Some(message),
            errors,
        }),
    )
        .into_response()
}

/// A service error on a portal endpoint.
#[derive(Debug)]
pub struct ApiError(pub ServiceError);

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        ApiError(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let rendered = self.0.render();
        let mut response = failure(
            rendered.status,
            rendered.message.clone(),
            rendered.errors.clone(),
        );
        response.headers_mut().extend(rendered.headers());
        response
    }
}
