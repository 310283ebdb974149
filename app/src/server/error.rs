//! The one error type of the service layer. The JSON API and the server functions render it in
//! their own wire shapes; they never decide what it means.

use crate::model::field_error::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// One entry per failed rule; nothing was written.
    #[error("{} field(s) failed validation", .0.len())]
    Validation(Vec<FieldError>),
    /// No valid session, or wrong credentials.
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    NotFound(String),
    /// `If-Match` named a version that is no longer current; nothing was written.
    #[error("{0}")]
    PreconditionFailed(String),
    /// Too many attempts; the client may retry after this many seconds.
    #[error("too many attempts; retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: i64 },
    /// A backend the service relies on failed or answered nonsense; nothing was changed.
    #[error("{0}")]
    BadGateway(String),
    /// A backend the service relies on did not answer in time; nothing was changed.
    #[error("{0}")]
    GatewayTimeout(String),
    /// Something the caller cannot fix; the detail is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    /// The HTTP status every door answers this error with.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            ServiceError::Validation(_) => StatusCode::BAD_REQUEST,
            ServiceError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ServiceError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ServiceError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ServiceError::GatewayTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(error: sqlx::Error) -> Self {
        ServiceError::Internal(format!("database: {error}"))
    }
}

impl From<super::passwords::PasswordError> for ServiceError {
    fn from(error: super::passwords::PasswordError) -> Self {
        ServiceError::Internal(error.to_string())
    }
}
