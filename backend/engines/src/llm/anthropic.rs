use std::time::Duration;

use serde_json::{Value, json};

use super::{
    ChatModel, ChatRequest, ChatResponse, LlmError, RetryPolicy, Role, Usage,
    http::send_json,
    retry::{Attempt, with_retries},
};

pub const ANTHROPIC_URL: &str = "https://api.anthropic.com";
const API_VERSION: &str = "2023-06-01";

/// Anthropic's messages API.
#[derive(Clone)]
pub struct AnthropicClient {
    http: reqwest::Client,
    base_url: String,
    api_key: String,
    model: String,
    timeout: Duration,
    retry: RetryPolicy,
}

impl std::fmt::Debug for AnthropicClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnthropicClient")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl AnthropicClient {
    pub fn new(base_url: &str, api_key: String, model: &str, timeout: Duration, retry: RetryPolicy) -> Self {
        Self {
            http: reqwest::Client::new(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
            model: model.to_owned(),
            timeout,
            retry,
        }
    }
}

/// Joins the text blocks of a message and reads its usage.
fn parse(json: &Value) -> Result<(String, String, Usage), LlmError> {
    let blocks = json["content"].as_array().ok_or_else(|| LlmError::Malformed("no content array".into()))?;
    let text: String = blocks.iter().filter(|b| b["type"] == "text").filter_map(|b| b["text"].as_str()).collect();
    if text.is_empty() {
        return Err(LlmError::Malformed("no text block in content".into()));
    }
    let usage = Usage {
        input_tokens: json["usage"]["input_tokens"].as_u64().unwrap_or(0),
        output_tokens: json["usage"]["output_tokens"].as_u64().unwrap_or(0),
    };
    Ok((text, json["model"].as_str().unwrap_or_default().to_owned(), usage))
}

#[async_trait::async_trait]
impl ChatModel for AnthropicClient {
    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let messages: Vec<Value> = request
            .messages
            .iter()
            .map(|m| json!({ "role": match m.role { Role::User => "user", Role::Assistant => "assistant" }, "content": m.content }))
            .collect();
        let body = json!({
            "model": self.model,
            "max_tokens": request.max_tokens,
            "system": request.system,
            "messages": messages,
            "temperature": request.temperature,
        });
        let url = format!("{}/v1/messages", self.base_url);
        let ((text, model, usage), attempts, latency) = with_retries(self.retry, || {
            let call = self
                .http
                .post(&url)
                .header("x-api-key", &self.api_key)
                .header("anthropic-version", API_VERSION)
                .json(&body);
            async move {
                match send_json(call, self.timeout).await {
                    Attempt::Done(json) => match parse(&json) {
                        Ok(parsed) => Attempt::Done(parsed),
                        Err(e) => Attempt::Fail(e),
                    },
                    Attempt::Retry(e, h) => Attempt::Retry(e, h),
                    Attempt::Fail(e) => Attempt::Fail(e),
                }
            }
        })
        .await?;
        Ok(ChatResponse { text, model, usage, attempts, latency })
    }
}
