//! The one error type of the service layer, and what every door shows of it (`render`): the
//! JSON API's envelope, the partner body and the server functions only put that in their own
//! wire shapes; they never decide what an error means.

use crate::model::field_error::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// One entry per failed rule; nothing was written.
    #[error("{} field(s) failed validation", .0.len())]
    Validation(Vec<FieldError>),
    /// No valid session, or wrong credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but this needs more first (a recent password confirmation).
    #[error("{0}")]
    Forbidden(String),
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
    /// A profile write made against a version that moved on (`If-Match`, or a page loaded before
    /// another change): nothing was written.
    pub fn stale_profile() -> Self {
        ServiceError::PreconditionFailed(
            "The profile was changed since you loaded it; reload it and try again.".to_owned(),
        )
    }

    /// The HTTP status every door answers this error with.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            ServiceError::Validation(_) => StatusCode::BAD_REQUEST,
            ServiceError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
            ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ServiceError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ServiceError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ServiceError::GatewayTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// What a caller is told about a failure, whichever door it came through.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendered {
    pub status: http::StatusCode,
    /// One sentence for a person.
    pub message: String,
    /// The failed rules, on a validation failure.
    pub errors: Option<Vec<FieldError>>,
    /// `Retry-After`, on 429.
    pub retry_after_secs: Option<i64>,
}

impl Rendered {
    /// The headers that go with the status: `WWW-Authenticate: Bearer` on 401, `Retry-After`
    /// on 429.
    pub fn headers(&self) -> Vec<(http::HeaderName, http::HeaderValue)> {
        let mut headers = Vec::new();
        if self.status == http::StatusCode::UNAUTHORIZED {
            headers.push((
                http::header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Bearer"),
            ));
        }
        if let Some(secs) = self.retry_after_secs {
            headers.push((http::header::RETRY_AFTER, http::HeaderValue::from(secs)));
        }
        headers
    }
}

/// "Try again in ..." with the wait a person can read.
fn wait(secs: i64) -> String {
    if secs < 60 {
        format!("{secs} second(s)")
    } else {
        format!("{} minute(s)", (secs + 59) / 60)
    }
}

impl ServiceError {
    /// What the caller is told. An internal error's detail is logged here, once, and never
    /// shown.
    pub fn render(self) -> Rendered {
        let status = self.status();
        let (message, errors, retry_after_secs) = match self {
            ServiceError::Validation(errors) => (
                "One or more fields failed validation; nothing was changed.".to_owned(),
                Some(errors),
                None,
            ),
            ServiceError::Unauthorized(message)
            | ServiceError::Forbidden(message)
            | ServiceError::NotFound(message)
            | ServiceError::PreconditionFailed(message)
            | ServiceError::BadGateway(message)
            | ServiceError::GatewayTimeout(message) => (message, None, None),
            ServiceError::TooManyRequests { retry_after_secs } => (
                format!(
                    "Too many attempts. Try again in {}.",
                    wait(retry_after_secs)
                ),
                None,
                Some(retry_after_secs),
            ),
            ServiceError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (
                    "Something went wrong on our side; nothing was changed.".to_owned(),
                    None,
                    None,
                )
            }
        };
        Rendered {
            status,
            message,
            errors,
            retry_after_secs,
        }
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(error: sqlx::Error) -> Self {
        ServiceError::Internal(format!("database: {error}"))
    }
}
