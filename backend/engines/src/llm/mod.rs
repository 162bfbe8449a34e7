//! Clients of hosted and local language models: OpenAI's chat completions (also spoken by
//! Ollama, vLLM, LM Studio, llama.cpp and LiteLLM) and Anthropic's messages. Both retry
//! 429s, 5xx answers, timeouts and dropped connections with exponential backoff and full
//! jitter, honouring `Retry-After`, then give up with an error the fallback chain acts on.

mod anthropic;
mod http;
mod openai;
mod retry;

use std::time::Duration;

pub use anthropic::{ANTHROPIC_URL, AnthropicClient};
pub use openai::{OPENAI_URL, OpenAiClient};
pub use retry::RetryPolicy;

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

/// A request to a chat model.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub system: String,
    pub messages: Vec<Message>,
    pub max_tokens: u32,
    pub temperature: f32,
}

/// Tokens a call consumed, as the provider counted them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl Usage {
    /// The estimated cost in US dollars, from per-million-token prices.
    pub fn cost(&self, input_per_million: f64, output_per_million: f64) -> f64 {
        (self.input_tokens as f64 * input_per_million + self.output_tokens as f64 * output_per_million) / 1e6
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    pub text: String,
    pub model: String,
    pub usage: Usage,
    /// Attempts made, 1 when the first one succeeded.
    pub attempts: u32,
    pub latency: Duration,
}

/// Why a call failed after its retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    #[error("the provider kept rate-limiting the request")]
    RateLimited,
    #[error("the provider failed with HTTP {status}: {message}")]
    Server { status: u16, message: String },
    #[error("the provider refused the request with HTTP {status}: {message}")]
    Rejected { status: u16, message: String },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot reach the provider: {0}")]
    Transport(String),
    #[error("the provider's answer is not in the expected shape: {0}")]
    Malformed(String),
}

impl LlmError {
    /// Whether trying again (after a pause) can succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, LlmError::RateLimited | LlmError::Server { .. } | LlmError::Timeout(_) | LlmError::Transport(_))
    }
}

/// A chat model: one request in, one answer out.
#[async_trait::async_trait]
pub trait ChatModel: Send + Sync + std::fmt::Debug {
    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError>;
}
