//! Text-to-SQL through a language model, and the fallback chain across engines.

use std::sync::Arc;

use crate::{
    EngineSpec, Provider,
    langfuse::{GenerationEvent, Langfuse},
    llm::{ANTHROPIC_URL, AnthropicClient, ChatModel, LlmError, OPENAI_URL, OpenAiClient, RetryPolicy, Usage},
    prompt::{PromptContext, build, parse_answer},
};

/// SQL an engine proposed for a question. Model output is data: this SQL still has to
/// pass the guard before anything runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    pub sql: String,
    pub explanation: String,
    pub engine: String,
    pub model: Option<String>,
    pub usage: Usage,
    /// Estimated from the engine's configured prices, when it has them.
    pub cost_usd: Option<f64>,
    /// What the engine understood the question to ask, for engines that can say.
    pub interpretation: Option<String>,
    /// 0 to 1, for engines that can tell.
    pub confidence: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("the model answered without SQL")]
    NoSql,
    #[error(transparent)]
    Model(#[from] LlmError),
    #[error("the engine cannot run here: {0}")]
    Unavailable(String),
    /// The engine understood too little to answer without guessing.
    #[error("{reason}")]
    CannotAnswer { reason: String, suggestions: Vec<String> },
}

#[async_trait::async_trait]
pub trait TextToSql: Send + Sync + std::fmt::Debug {
    fn name(&self) -> &str;

    /// Writes the same SQL whenever it is given the same question and context, so its
    /// answers may be remembered rather than generated again.
    fn deterministic(&self) -> bool {
        false
    }

    /// Proposes SQL. `correction` carries the SQL of a failed first round and why it
    /// failed, for one self-correction round.
    async fn generate(
        &self,
        question: &str,
        context: &PromptContext<'_>,
        correction: Option<(&str, &str)>,
    ) -> Result<Generated, EngineError>;
}

/// A text-to-SQL engine backed by a chat model.
#[derive(Debug, Clone)]
pub struct LlmTextToSql {
    name: String,
    model: Arc<dyn ChatModel>,
    prices: Option<(f64, f64)>,
    langfuse: Option<Langfuse>,
}

impl LlmTextToSql {
    pub fn new(name: &str, model: Arc<dyn ChatModel>, prices: Option<(f64, f64)>) -> Self {
        Self { name: name.to_owned(), model, prices, langfuse: None }
    }

    /// Records every generation in Langfuse, under the question's trace.
    pub fn with_langfuse(mut self, langfuse: Langfuse) -> Self {
        self.langfuse = Some(langfuse);
        self
    }

    /// The engine an `openai`, `anthropic` or `openai_compatible` spec describes, with its
    /// key read from the environment now.
    pub fn from_spec(spec: &EngineSpec) -> Result<Self, EngineError> {
        let client = chat_model(spec)?;
        let prices = spec.config.as_ref().and_then(|c| c.price_per_million_input.zip(c.price_per_million_output));
        Ok(Self::new(&spec.name, client, prices))
    }
}

/// The model client an `openai`, `anthropic` or `openai_compatible` spec describes, with
/// its key read from the environment now.
pub fn chat_model(spec: &EngineSpec) -> Result<Arc<dyn ChatModel>, EngineError> {
    let config = spec.config.as_ref().ok_or_else(|| EngineError::Unavailable("no config".into()))?;
    if let Some(reason) = spec.unavailable_reason() {
        return Err(EngineError::Unavailable(reason));
    }
    let key = config.api_key_env.as_ref().and_then(|v| std::env::var(v).ok());
    let model = config.model.clone().unwrap_or_default();
    let timeout = std::time::Duration::from_secs(config.timeout_seconds);
    let retry = RetryPolicy { max_retries: config.max_retries, ..RetryPolicy::default() };
    Ok(match spec.provider {
        Provider::OpenAi | Provider::OpenAiCompatible => {
            let url = config.base_url.as_deref().unwrap_or(OPENAI_URL);
            Arc::new(OpenAiClient::new(url, key, &model, timeout, retry))
        }
        Provider::Anthropic => {
            let url = config.base_url.as_deref().unwrap_or(ANTHROPIC_URL);
            Arc::new(AnthropicClient::new(url, key.unwrap_or_default(), &model, timeout, retry))
        }
        Provider::RuleBased => return Err(EngineError::Unavailable("rule_based is not a model provider".into())),
    })
}

#[async_trait::async_trait]
impl TextToSql for LlmTextToSql {
    fn name(&self) -> &str {
        &self.name
    }

    async fn generate(
        &self,
        question: &str,
        context: &PromptContext<'_>,
        correction: Option<(&str, &str)>,
    ) -> Result<Generated, EngineError> {
        let request = build(question, context, correction);
        let start = chrono::Utc::now();
        let response = self.model.complete(&request).await?;
        if let (Some(langfuse), Some(trace_id)) = (&self.langfuse, context.trace_id) {
            let input: Vec<serde_json::Value> =
                std::iter::once(serde_json::json!({ "role": "system", "content": request.system }))
                    .chain(request.messages.iter().map(
                        |m| serde_json::json!({ "role": format!("{:?}", m.role).to_lowercase(), "content": m.content }),
                    ))
                    .collect();
            langfuse.generation(GenerationEvent {
                trace_id: trace_id.to_owned(),
                name: format!("text_to_sql.{}", self.name),
                model: response.model.clone(),
                input: serde_json::Value::Array(input),
                output: response.text.clone(),
                usage: response.usage,
                start,
                end: chrono::Utc::now(),
            });
        }
        let parsed = parse_answer(&response.text).ok_or(EngineError::NoSql)?;
        Ok(Generated {
            sql: parsed.sql,
            explanation: parsed.explanation,
            engine: self.name.clone(),
            model: Some(response.model),
            usage: response.usage,
            cost_usd: self.prices.map(|(input, output)| response.usage.cost(input, output)),
            interpretation: None,
            confidence: None,
        })
    }
}

/// Tries each engine of the chain in order; the first answer wins. Every failure on the
/// way is returned too, for the record.
pub async fn generate_with_fallback(
    chain: &[Arc<dyn TextToSql>],
    question: &str,
    context: &PromptContext<'_>,
) -> Result<(Generated, Vec<(String, EngineError)>), Vec<(String, EngineError)>> {
    let mut failures = Vec::new();
    for engine in chain {
        match engine.generate(question, context, None).await {
            Ok(generated) => return Ok((generated, failures)),
            Err(error) => {
                tracing::warn!(engine = engine.name(), %error, "text-to-SQL engine failed; trying the next");
                failures.push((engine.name().to_owned(), error));
            }
        }
    }
    Err(failures)
}
