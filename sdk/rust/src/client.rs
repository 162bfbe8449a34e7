use std::time::Duration;

use kurobe_api::ErrorBody;
use reqwest::{Method, RequestBuilder, Response, StatusCode, header::RETRY_AFTER};
use serde::{Serialize, de::DeserializeOwned};
use url::Url;

use crate::{ApiError, Error};

/// Attempts after a `429 Too Many Requests` before the error is returned.
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// The longest `Retry-After` the client waits for; longer ones are returned as errors.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// A client of one Kurobe server, acting with one credential (an API key or an access
/// token). Cheap to clone; clones share their connection pool.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    token: String,
    max_retries: u32,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base", &self.base.as_str()).finish_non_exhaustive()
    }
}

fn parse_base(base_url: &str) -> Result<Url, Error> {
    let mut base = Url::parse(base_url).map_err(|e| Error::Config(format!("`{base_url}` is not a URL: {e}")))?;
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    Ok(base)
}

impl Client {
    /// A client of the server at `base_url` (e.g. `http://127.0.0.1:8000`) acting with
    /// `token`: an API key `kb_…` or an access token from [`Client::login`].
    pub fn new(base_url: &str, token: impl Into<String>) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("kurobe-sdk-rust/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(e.to_string()))?;
        Ok(Self { http, base: parse_base(base_url)?, token: token.into(), max_retries: DEFAULT_MAX_RETRIES })
    }

    /// A client from `KUROBE_BASE_URL` (default `http://127.0.0.1:8000`) and `KUROBE_API_KEY`.
    pub fn from_env() -> Result<Self, Error> {
        let base = std::env::var("KUROBE_BASE_URL").unwrap_or_else(|_| "http://127.0.0.1:8000".into());
        let key = std::env::var("KUROBE_API_KEY").map_err(|_| Error::Config("KUROBE_API_KEY is not set".into()))?;
        Self::new(&base, key)
    }

    /// How many times a `429` is retried (after the server's `Retry-After`).
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// The same server with another credential (a token from switching organisation).
    pub fn with_token(&self, token: impl Into<String>) -> Self {
        Self { token: token.into(), ..self.clone() }
    }

    fn request(&self, method: Method, path: &str) -> Result<RequestBuilder, Error> {
        let url = self.base.join(path).map_err(|e| Error::Config(format!("`{path}`: {e}")))?;
        let builder = self.http.request(method, url);
        Ok(if self.token.is_empty() { builder } else { builder.bearer_auth(&self.token) })
    }

    /// Sends the request built by `build`, retrying on `429` after `Retry-After`, and
    /// turns an error status into [`Error::Api`].
    pub(crate) async fn send(&self, build: impl Fn() -> Result<RequestBuilder, Error>) -> Result<Response, Error> {
        let mut attempt = 0;
        loop {
            let response = build()?.send().await?;
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            let wait = retry_after(&response);
            if status == StatusCode::TOO_MANY_REQUESTS
                && attempt < self.max_retries
                && let Some(wait) = wait.filter(|w| *w <= MAX_RETRY_WAIT)
            {
                attempt += 1;
                tokio::time::sleep(wait).await;
                continue;
            }
            return Err(error_of(response).await);
        }
    }

    /// A JSON call: `body` as JSON when given, the answer read as `T`.
    pub(crate) async fn call<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, Error> {
        let response = self
            .send(|| {
                let builder = self.request(method.clone(), path)?;
                Ok(match body {
                    Some(body) => builder.json(body),
                    None => builder,
                })
            })
            .await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        // 204 No Content reads as `()`.
        let bytes = if bytes.is_empty() { bytes::Bytes::from_static(b"null") } else { bytes };
        serde_json::from_slice(&bytes).map_err(|e| Error::Unexpected { status, detail: e.to_string() })
    }

    /// A JSON call with query parameters.
    pub(crate) async fn get_with<T: DeserializeOwned, Q: Serialize + ?Sized>(
        &self,
        path: &str,
        query: &Q,
    ) -> Result<T, Error> {
        let response = self.send(|| Ok(self.request(Method::GET, path)?.query(query))).await?;
        let status = response.status().as_u16();
        response.json().await.map_err(|e| Error::Unexpected { status, detail: e.to_string() })
    }

    /// A request whose answer is read as a stream (server-sent events, CSV).
    pub(crate) async fn open<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        accept: &str,
        body: Option<&B>,
    ) -> Result<Response, Error> {
        self.send(|| {
            let builder = self.request(method.clone(), path)?.header(reqwest::header::ACCEPT, accept);
            Ok(match body {
                Some(body) => builder.json(body),
                None => builder,
            })
        })
        .await
    }
}

fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The server's error body as an [`Error`]; anything else as [`Error::Unexpected`].
pub(crate) async fn error_of(response: Response) -> Error {
    let status = response.status().as_u16();
    let header_id = response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    match response.bytes().await {
        Ok(bytes) => match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => Error::Api(ApiError {
                status,
                code: body.error.code,
                message: body.error.message,
                request_id: body.error.request_id.or(header_id).unwrap_or_default(),
                suggestions: body.error.suggestions,
            }),
            Err(_) => Error::Unexpected { status, detail: String::from_utf8_lossy(&bytes).chars().take(500).collect() },
        },
        Err(error) => Error::Transport(error),
    }
}
