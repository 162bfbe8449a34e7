//! The one place where errors become HTTP responses.

use axum::{
    Json,
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::{HeaderValue, StatusCode, header::RETRY_AFTER},
    response::{IntoResponse, Response},
};
use kurobe_api::{ErrorBody, ErrorCode, ErrorDetail};
use kurobe_store::StoreError;

use crate::{audit::current_request_id, auth::AuthError, datasources::DataSourceError};

/// Every way a request can fail. The code (and so the status) of each is fixed; internal
/// causes are logged with the request id and never sent to the client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request itself is wrong: malformed, mistyped or out of range.
    #[error("{message}")]
    Invalid { code: ErrorCode, message: String },
    #[error(transparent)]
    Auth(AuthError),
    #[error("{message}")]
    Forbidden { code: ErrorCode, message: String },
    /// Absent, or present in another organisation: the two are indistinguishable by design.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict { code: ErrorCode, message: String },
    /// Too many requests from this address or credential.
    #[error("too many requests; retry in {retry_after_seconds} s")]
    RateLimited { retry_after_seconds: u64 },
    /// The engine declined the question; the suggestions are questions it can answer.
    #[error("{message}")]
    CannotAnswer { message: String, suggestions: Vec<String> },
    #[error("a service Kurobe depends on is unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// The customer's warehouse failed; its message is theirs to read.
    #[error("{0}")]
    DataSource(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::Invalid { code: ErrorCode::ValidationFailed, message: message.into() }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError::Conflict { code: ErrorCode::Conflict, message: message.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::Forbidden { code: ErrorCode::Forbidden, message: message.into() }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Invalid { code, .. } | ApiError::Forbidden { code, .. } | ApiError::Conflict { code, .. } => {
                *code
            }
            ApiError::Auth(err) => match err {
                AuthError::Missing => ErrorCode::Unauthenticated,
                AuthError::InvalidCredentials => ErrorCode::InvalidCredentials,
                AuthError::InvalidToken | AuthError::NotAMember => ErrorCode::InvalidToken,
                AuthError::TokenExpired => ErrorCode::TokenExpired,
                AuthError::InvalidApiKey => ErrorCode::InvalidApiKey,
                AuthError::ApiKeyRevoked => ErrorCode::ApiKeyRevoked,
                AuthError::ApiKeyExpired => ErrorCode::ApiKeyExpired,
                AuthError::Store(StoreError::Unavailable(_)) => ErrorCode::ServiceUnavailable,
                AuthError::Store(_) => ErrorCode::Internal,
            },
            ApiError::CannotAnswer { .. } => ErrorCode::CannotAnswer,
            ApiError::RateLimited { .. } => ErrorCode::RateLimited,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::Unavailable(_) => ErrorCode::ServiceUnavailable,
            ApiError::DataSource(_) => ErrorCode::DataSourceUnavailable,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The sentence sent to the client: the error's own for client errors, a generic one
    /// for server errors (whose causes may name hosts, queries or credentials).
    /// The body a client reads: code, public message, request id and any suggestions.
    pub fn detail(&self) -> ErrorDetail {
        let suggestions = match self {
            ApiError::CannotAnswer { suggestions, .. } => suggestions.clone(),
            _ => Vec::new(),
        };
        ErrorDetail { code: self.code(), message: self.public_message(), request_id: current_request_id(), suggestions }
    }

    fn public_message(&self) -> String {
        match self.code() {
            ErrorCode::Internal | ErrorCode::ServiceUnavailable => self.code().description().to_owned(),
            _ => self.to_string(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(_) => ApiError::Unavailable(err.into()),
            _ => ApiError::Internal(err.into()),
        }
    }
}

impl From<DataSourceError> for ApiError {
    fn from(err: DataSourceError) -> Self {
        match err {
            DataSourceError::Invalid(message) => ApiError::invalid(message),
            DataSourceError::Crypto(_) => ApiError::Internal(err.into()),
            DataSourceError::Connector(connector) => ApiError::DataSource(connector.to_string()),
        }
    }
}

impl From<kurobe_guard::Refusal> for ApiError {
    fn from(refusal: kurobe_guard::Refusal) -> Self {
        ApiError::Invalid { code: ErrorCode::SqlRefused, message: refusal.to_string() }
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Store(store) => store.into(),
            other => ApiError::Auth(other),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let (code, message) = match &rejection {
            JsonRejection::JsonSyntaxError(_) => (ErrorCode::InvalidJson, rejection.body_text()),
            JsonRejection::JsonDataError(_) => (ErrorCode::InvalidJson, rejection.body_text()),
            JsonRejection::MissingJsonContentType(_) => {
                (ErrorCode::UnsupportedMediaType, "send the body with `Content-Type: application/json`".into())
            }
            JsonRejection::BytesRejection(_) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                (ErrorCode::PayloadTooLarge, "the request body exceeds the size limit".into())
            }
            _ => (ErrorCode::BadRequest, rejection.body_text()),
        };
        ApiError::Invalid { code, message }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::Invalid { code: ErrorCode::BadRequest, message: rejection.body_text() }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::Invalid { code: ErrorCode::BadRequest, message: rejection.body_text() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.code();
        let detail = self.detail();
        let request_id = detail.request_id.clone();
        match &self {
            ApiError::Internal(cause) | ApiError::Unavailable(cause) => {
                tracing::error!(error = ?cause, code = code.as_str(), request_id, "request failed");
            }
            ApiError::Auth(AuthError::Store(cause)) => {
                tracing::error!(error = ?cause, request_id, "authentication failed on the store");
            }
            _ => tracing::debug!(code = code.as_str(), message = %self, "request refused"),
        }
        let mut response = (self.status(), Json(ErrorBody { error: detail })).into_response();
        match &self {
            ApiError::RateLimited { retry_after_seconds } => {
                response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(*retry_after_seconds));
            }
            _ if code == ErrorCode::ServiceUnavailable => {
                response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        response.extensions_mut().insert(code);
        response
    }
}
