use std::time::Duration;

use serde_json::{Value, json};

use super::{
    ChatModel, ChatRequest, ChatResponse, LlmError, RetryPolicy, Role, Usage,
    http::send_json,
    retry::{Attempt, with_retries},
};

pub const OPENAI_URL: &str = "https://api.openai.com/v1";

/// OpenAI's chat completions, and every server that speaks them (`openai_compatible`).
#[derive(Clone)]
pub struct OpenAiClient {
    http: reqwest::Client,
    base_url: String,
    api_key: Option<String>,
    model: String,
    timeout: Duration,
    retry: RetryPolicy,
}

impl std::fmt::Debug for OpenAiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiClient")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl OpenAiClient {
    pub fn new(base_url: &str, api_key: Option<String>, model: &str, timeout: Duration, retry: RetryPolicy) -> Self {
        Self {
            http: reqwest::Client::new(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
            model: model.to_owned(),
            timeout,
            retry,
        }
    }

    fn body(&self, request: &ChatRequest) -> Value {
        let mut messages = vec![json!({ "role": "system", "content": request.system })];
        messages.extend(request.messages.iter().map(|m| {
            json!({ "role": match m.role { Role::User => "user", Role::Assistant => "assistant" }, "content": m.content })
        }));
        json!({
            "model": self.model,
            "messages": messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        })
    }
}

/// Reads `choices[0].message.content` and `usage` of a chat completion.
fn parse(json: &Value) -> Result<(String, String, Usage), LlmError> {
    let text = json["choices"][0]["message"]["content"]
        .as_str()
        .ok_or_else(|| LlmError::Malformed("no choices[0].message.content".into()))?;
    let usage = Usage {
        input_tokens: json["usage"]["prompt_tokens"].as_u64().unwrap_or(0),
        output_tokens: json["usage"]["completion_tokens"].as_u64().unwrap_or(0),
    };
    Ok((text.to_owned(), json["model"].as_str().unwrap_or_default().to_owned(), usage))
}

#[async_trait::async_trait]
impl ChatModel for OpenAiClient {
    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let body = self.body(request);
        let url = format!("{}/chat/completions", self.base_url);
        let ((text, model, usage), attempts, latency) = with_retries(self.retry, || {
            let mut call = self.http.post(&url).json(&body);
            if let Some(key) = &self.api_key {
                call = call.bearer_auth(key);
            }
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
