use std::time::Duration;

use reqwest::RequestBuilder;

use super::{
    LlmError,
    retry::{Attempt, classify},
};

/// Sends one attempt and reads a JSON body; transport failures and timeouts are retryable.
pub(crate) async fn send_json(request: RequestBuilder, timeout: Duration) -> Attempt<serde_json::Value> {
    let response = match request.timeout(timeout).send().await {
        Ok(response) => response,
        Err(e) if e.is_timeout() => return Attempt::Retry(LlmError::Timeout(timeout), None),
        Err(e) => return Attempt::Retry(LlmError::Transport(e.to_string()), None),
    };
    let status = response.status();
    let headers = response.headers().clone();
    let body = match response.text().await {
        Ok(body) => body,
        Err(e) if e.is_timeout() => return Attempt::Retry(LlmError::Timeout(timeout), None),
        Err(e) => return Attempt::Retry(LlmError::Transport(e.to_string()), None),
    };
    if !status.is_success() {
        return match classify(status, headers, &body) {
            Attempt::Retry(error, headers) => Attempt::Retry(error, headers),
            Attempt::Fail(error) => Attempt::Fail(error),
            Attempt::Done(()) => Attempt::Fail(LlmError::Malformed("unreachable classification".into())),
        };
    }
    match serde_json::from_str(&body) {
        Ok(json) => Attempt::Done(json),
        Err(e) => Attempt::Fail(LlmError::Malformed(format!("not JSON: {e}"))),
    }
}
