use serde::{Deserialize, Serialize};

/// The body of every error response: `{"error": {"code", "message", "request_id"}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// A sentence for people; it may change between releases, the code does not.
    pub message: String,
    /// The `X-Request-Id` of the failed request, to quote in a support ticket.
    pub request_id: Option<String>,
    /// For `cannot_answer`: questions close to this one that the engine can answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<String>,
}

/// Groups of error codes; each SDK maps a family to one exception class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorFamily {
    InvalidRequest,
    Authentication,
    Permission,
    NotFound,
    Conflict,
    RateLimit,
    Unavailable,
    Internal,
}

macro_rules! error_codes {
    ($($variant:ident = $code:literal, $status:literal, $family:ident, $doc:literal;)*) => {
        /// Every error code the API can return. Codes are stable: clients may branch on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode {
            $(#[doc = $doc] #[serde(rename = $code)] $variant,)*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The HTTP status this code is always sent with.
            pub fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            pub fn family(self) -> ErrorFamily {
                match self { $(ErrorCode::$variant => ErrorFamily::$family,)* }
            }

            pub fn description(self) -> &'static str {
                match self { $(ErrorCode::$variant => $doc,)* }
            }
        }
    };
}

error_codes! {
    BadRequest = "bad_request", 400, InvalidRequest, "The request is malformed.";
    InvalidJson = "invalid_json", 400, InvalidRequest, "The body is not valid JSON or does not match the expected shape.";
    ValidationFailed = "validation_failed", 422, InvalidRequest, "A field has a value outside what it accepts.";
    UnsupportedMediaType = "unsupported_media_type", 415, InvalidRequest, "The body must be sent as application/json.";
    EnginesInvalid = "engines_invalid", 422, InvalidRequest, "The engines file is invalid; the running registry stays.";
    SqlRefused = "sql_refused", 422, InvalidRequest, "The SQL guard refused the statement; the message says why.";
    QueryFailed = "query_failed", 422, InvalidRequest, "The data source rejected or failed the query; the message is its own.";
    CannotAnswer = "cannot_answer", 422, InvalidRequest, "The engine could not answer the question with confidence; `suggestions` lists close questions it can answer.";
    UnknownEngine = "unknown_engine", 422, InvalidRequest, "No engine of that name is in the registry.";
    EngineFailed = "engine_failed", 502, Unavailable, "Every text-to-SQL engine of the chain failed; the message says why.";
    QueryTimeout = "query_timeout", 504, Unavailable, "The query ran past its time limit and was cancelled on the data source.";
    PayloadTooLarge = "payload_too_large", 413, InvalidRequest, "The body exceeds the size limit.";
    MethodNotAllowed = "method_not_allowed", 405, InvalidRequest, "The route does not accept this HTTP method.";
    Unauthenticated = "unauthenticated", 401, Authentication, "No credentials were given.";
    InvalidCredentials = "invalid_credentials", 401, Authentication, "The email or password is wrong.";
    InvalidToken = "invalid_token", 401, Authentication, "The access token is malformed, forged or for another audience.";
    TokenExpired = "token_expired", 401, Authentication, "The access token has expired; sign in again.";
    InvalidApiKey = "invalid_api_key", 401, Authentication, "The API key is unknown or malformed.";
    ApiKeyRevoked = "api_key_revoked", 401, Authentication, "The API key has been revoked.";
    ApiKeyExpired = "api_key_expired", 401, Authentication, "The API key has expired.";
    Forbidden = "forbidden", 403, Permission, "Your role does not allow this action.";
    InsufficientScope = "insufficient_scope", 403, Permission, "The API key's scopes do not include this action.";
    NotFound = "not_found", 404, NotFound, "The resource does not exist or is not visible to you.";
    Conflict = "conflict", 409, Conflict, "The request conflicts with the current state of the resource.";
    EmailTaken = "email_taken", 409, Conflict, "An account with this email already exists.";
    DataSourceUnavailable = "datasource_unavailable", 502, Unavailable, "The data source could not be reached or refused the request; the message says why.";
    RateLimited = "rate_limited", 429, RateLimit, "Too many requests; retry after the time in Retry-After.";
    ServiceUnavailable = "service_unavailable", 503, Unavailable, "A service Kurobe depends on is unavailable; retry later.";
    Internal = "internal", 500, Internal, "An unexpected error occurred; it has been logged with the request id.";
}

/// The schema lists the codes as they are sent, and — in `x-error-codes` — each code's
/// HTTP status, family and meaning, so SDKs can be checked against the catalogue.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::{Type, extensions::Extensions, schema::ObjectBuilder};
        let catalogue: Vec<serde_json::Value> = ErrorCode::ALL
            .iter()
            .map(|code| {
                serde_json::json!({
                    "code": code.as_str(),
                    "status": code.status(),
                    "family": code.family(),
                    "description": code.description(),
                })
            })
            .collect();
        let extensions: Extensions = [("x-error-codes", serde_json::Value::Array(catalogue))].into_iter().collect();
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("Every error code the API can return. Codes are stable: clients may branch on them."))
            .enum_values(Some(ErrorCode::ALL.iter().map(|code| code.as_str())))
            .extensions(Some(extensions))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ErrorCode {}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_names_match_the_catalogue() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str(), "{code:?}");
        }
    }
}
