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
    /// Something the caller cannot fix; the detail is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
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
