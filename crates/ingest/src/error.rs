//! Why a request was refused, and the HTTP status each reason maps to.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use paraakh_protocol::ErrorBody;

/// Why the backend refused a request or could not serve it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// No usable bearer token.
    #[error("{0}")]
    Unauthorized(String),
    /// A valid token, but not for this tenant, session or action.
    #[error("{0}")]
    Forbidden(String),
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Nothing is known under that name.
    #[error("{0}")]
    NotFound(String),
    /// A join link the tenant revoked.
    #[error("{0}")]
    Revoked(String),
    /// The exam has closed.
    #[error("{0}")]
    Closed(String),
    /// Too early: the exam's questions are not released yet.
    #[error("{message}")]
    NotYet {
        /// What to wait for.
        message: String,
        /// Seconds until asking again makes sense.
        retry_after: u64,
    },
    /// The request does not fit what the server holds (re-query and continue).
    #[error("{message}")]
    Conflict {
        /// What the server holds.
        message: String,
        /// For blobs: the offset to continue from.
        offset: Option<u64>,
    },
    /// Well-formed, but the evidence in it is not acceptable.
    #[error("{0}")]
    Rejected(String),
    /// The body is larger than the server reads.
    #[error("{0}")]
    TooLarge(String),
    /// A session's or tenant's storage quota would be exceeded.
    #[error("{0}")]
    QuotaExceeded(String),
    /// The client took too long to send its request.
    #[error("{0}")]
    Timeout(String),
    /// The backend is busy with other requests' bodies: try again.
    #[error("{0}")]
    Busy(String),
    /// The object store failed.
    #[error("storage: {0}")]
    Storage(#[from] object_store::Error),
    /// A local file (keys, configuration) could not be used.
    #[error("{0}")]
    Config(String),
    /// The index database failed or is not this backend's.
    #[error("index: {0}")]
    Index(String),
}

impl IngestError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Revoked(_) => (StatusCode::FORBIDDEN, "revoked"),
            Self::Closed(_) => (StatusCode::GONE, "closed"),
            Self::NotYet { .. } => (StatusCode::TOO_EARLY, "too_early"),
            Self::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
            Self::Rejected(_) => (StatusCode::UNPROCESSABLE_ENTITY, "rejected"),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Self::QuotaExceeded(_) => (StatusCode::INSUFFICIENT_STORAGE, "quota_exceeded"),
            Self::Timeout(_) => (StatusCode::REQUEST_TIMEOUT, "timeout"),
            Self::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Self::Storage(_) | Self::Config(_) | Self::Index(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "server_error")
            }
        }
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = ErrorBody {
            error: code.to_owned(),
            message: self.to_string(),
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Self::Conflict {
            offset: Some(offset),
            ..
        } = self
        {
            response.headers_mut().insert(
                paraakh_protocol::UPLOAD_OFFSET,
                axum::http::HeaderValue::from(offset),
            );
        }
        if let Self::NotYet { retry_after, .. } = self {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
