use kurobe_api::{ErrorCode, ErrorFamily};

/// A failure the server reported, as its error body says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message} (request {request_id})")]
pub struct ApiError {
    pub status: u16,
    pub code: ErrorCode,
    pub message: String,
    /// The `X-Request-Id` to quote in a support request.
    pub request_id: String,
    /// For [`ErrorCode::CannotAnswer`]: questions close to the one asked that the engine
    /// can answer.
    pub suggestions: Vec<String>,
}

impl ApiError {
    pub fn family(&self) -> ErrorFamily {
        self.code.family()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error body.
    #[error(transparent)]
    Api(ApiError),
    /// The server could not be reached, or the connection broke.
    #[error("the request did not complete: {0}")]
    Transport(#[from] reqwest::Error),
    /// The server answered something that is not the API's JSON (a proxy's page, a
    /// server of another version).
    #[error("unexpected answer (HTTP {status}): {detail}")]
    Unexpected { status: u16, detail: String },
    /// `KUROBE_BASE_URL` or the given base URL is not a URL, or no key was given.
    #[error("configuration: {0}")]
    Config(String),
}

impl Error {
    /// The server's error, when the server reported one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(error) => Some(error),
            _ => None,
        }
    }
}
