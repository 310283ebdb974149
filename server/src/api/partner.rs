//! The partner API's rendering of errors (seed 000): `{code, description, data, source}`, a
//! second rendering of the same `ServiceError` the portal envelope renders; and the
//! `MS-RequestId` / `MS-CorrelationId` headers every partner response carries.

use app::server::error::ServiceError;

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;

/// Where partner errors say they come from.
const SOURCE: &str = "MemberPortal";

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartnerErrorBody {
    code: u16,
    description: String,
    /// One entry per failed field: `"email: E-mail must look like name@example.com."`.
    data: Vec<String>,
    source: &'static str,
}

/// A failed partner request: a service error, or a body that could not be read.
#[derive(Debug)]
pub enum PartnerError {
    Service(ServiceError),
    Body(StatusCode, String),
}

impl From<ServiceError> for PartnerError {
    fn from(error: ServiceError) -> Self {
        PartnerError::Service(error)
    }
}

fn body(status: StatusCode, description: String, data: Vec<String>) -> Response {
    (
        status,
        Json(PartnerErrorBody {
            code: status.as_u16(),
            description,
            data,
            source: SOURCE,
        }),
    )
        .into_response()
}

impl IntoResponse for PartnerError {
    fn into_response(self) -> Response {
        let rendered = match self {
            PartnerError::Body(status, description) => {
                return body(status, description, Vec::new())
            }
            PartnerError::Service(error) => error.render(),
        };
        let data = rendered
            .errors
            .iter()
            .flatten()
            .map(|error| format!("{}: {}", error.property_name, error.message))
            .collect();
        let mut response = body(rendered.status, rendered.message.clone(), data);
        response.headers_mut().extend(rendered.headers());
        response
    }
}

pub const REQUEST_ID: HeaderName = HeaderName::from_static("ms-requestid");
pub const CORRELATION_ID: HeaderName = HeaderName::from_static("ms-correlationid");

/// Echoes `MS-RequestId` and `MS-CorrelationId`, or generates them (UUID v4) when absent.
pub async fn request_ids(request: Request, next: Next) -> Response {
    let id = |headers: &axum::http::HeaderMap, name: &HeaderName| {
        headers
            .get(name)
            .filter(|value| !value.is_empty())
            .cloned()
            .unwrap_or_else(|| {
                HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                    .unwrap_or(HeaderValue::from_static("unknown"))
            })
    };
    let request_id = id(request.headers(), &REQUEST_ID);
    let correlation_id = id(request.headers(), &CORRELATION_ID);
    let mut response = next.run(request).await;
    response.headers_mut().insert(REQUEST_ID, request_id);
    response
        .headers_mut()
        .insert(CORRELATION_ID, correlation_id);
    response
}
