//! The model clients against local servers that replay recorded, schema-faithful responses
//! of the real APIs (OpenAI chat completions, Anthropic messages), including 429s with
//! `Retry-After`, 5xx answers, timeouts and malformed bodies. No real provider is reachable
//! from here: these tests prove our clients, not any model.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Replay, Reply, policy, question, reply};
use kurobe_engines::llm::{AnthropicClient, ChatModel, LlmError, OpenAiClient};

fn openai(url: &str, retries: u32, timeout: Duration) -> OpenAiClient {
    OpenAiClient::new(&format!("{url}/v1"), Some("sk-test-key".into()), "gpt-4o-mini", timeout, policy(retries))
}

#[tokio::test]
async fn openai_sends_the_documented_request_and_reads_the_answer() {
    let (replay, url) = Replay::start(vec![reply(200, "openai_chat_completion.json")]).await;
    let answer = openai(&url, 2, Duration::from_secs(5)).complete(&question()).await.unwrap();
    assert!(answer.text.contains("JOIN retail.regions"));
    assert_eq!((answer.usage.input_tokens, answer.usage.output_tokens, answer.attempts), (812, 64, 1));
    assert_eq!(answer.model, "gpt-4o-mini-2024-07-18");
    assert!((answer.usage.cost(0.15, 0.60) - 0.0001602).abs() < 1e-9);
    let (_, headers, body) = &replay.requests()[0];
    assert_eq!(headers["authorization"], "Bearer sk-test-key");
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(
        body["messages"][0],
        serde_json::json!({ "role": "system", "content": "You write one read-only SQL query for DuckDB." })
    );
    assert_eq!(body["messages"][1]["role"], "user");
    assert_eq!(body["temperature"], 0.0);
}

#[tokio::test]
async fn a_429_is_retried_after_the_time_it_asks_for() {
    let mut limited = reply(429, "openai_rate_limited.json");
    limited.headers = vec![("retry-after", "1")];
    let (replay, url) = Replay::start(vec![limited, reply(200, "openai_chat_completion.json")]).await;
    let answer = openai(&url, 2, Duration::from_secs(5)).complete(&question()).await.unwrap();
    assert_eq!(answer.attempts, 2);
    let requests = replay.requests();
    let waited = requests[1].0 - requests[0].0;
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}, before Retry-After");
}

#[tokio::test]
async fn server_errors_and_timeouts_are_retried_then_given_up() {
    let mut slow = reply(200, "openai_chat_completion.json");
    slow.delay = Duration::from_secs(3);
    let (replay, url) =
        Replay::start(vec![reply(500, "openai_server_error.json"), slow, reply(200, "openai_chat_completion.json")])
            .await;
    let answer = openai(&url, 2, Duration::from_millis(500)).complete(&question()).await.unwrap();
    assert_eq!((answer.attempts, replay.requests().len()), (3, 3));

    let (replay, url) = Replay::start(vec![reply(500, "openai_server_error.json"); 3]).await;
    let error = openai(&url, 2, Duration::from_secs(5)).complete(&question()).await.unwrap_err();
    assert!(matches!(error, LlmError::Server { status: 500, .. }), "{error:?}");
    assert!(error.is_transient());
    assert_eq!(replay.requests().len(), 3, "one try and two retries");
}

#[tokio::test]
async fn rejections_and_malformed_answers_are_not_retried() {
    let (replay, url) = Replay::start(vec![reply(401, "openai_invalid_key.json")]).await;
    let error = openai(&url, 3, Duration::from_secs(5)).complete(&question()).await.unwrap_err();
    assert!(
        matches!(&error, LlmError::Rejected { status: 401, message } if message.contains("invalid_api_key")),
        "{error:?}"
    );
    assert!(!error.is_transient());
    assert_eq!(replay.requests().len(), 1);

    let garbage = Reply { status: 200, headers: vec![], body: "{\"choices\": []}".into(), delay: Duration::ZERO };
    let not_json = Reply { body: "<html>gateway</html>".into(), ..garbage.clone() };
    let (_, url) = Replay::start(vec![garbage, not_json]).await;
    let client = openai(&url, 3, Duration::from_secs(5));
    assert!(matches!(client.complete(&question()).await.unwrap_err(), LlmError::Malformed(_)));
    assert!(matches!(client.complete(&question()).await.unwrap_err(), LlmError::Malformed(_)));
}

#[tokio::test]
async fn an_openai_compatible_server_needs_no_key() {
    let (replay, url) = Replay::start(vec![reply(200, "openai_chat_completion.json")]).await;
    let local = OpenAiClient::new(&format!("{url}/v1"), None, "llama3.1", Duration::from_secs(5), policy(0));
    local.complete(&question()).await.unwrap();
    assert!(replay.requests()[0].1.get("authorization").is_none());
}

#[tokio::test]
async fn anthropic_sends_its_headers_and_survives_an_overload() {
    let (replay, url) =
        Replay::start(vec![reply(529, "anthropic_overloaded.json"), reply(200, "anthropic_message.json")]).await;
    let client =
        AnthropicClient::new(&url, "sk-ant-test".into(), "claude-3-5-haiku-latest", Duration::from_secs(5), policy(2));
    let answer = client.complete(&question()).await.unwrap();
    assert!(answer.text.starts_with("<sql>SELECT count(*)"));
    assert_eq!((answer.usage.input_tokens, answer.usage.output_tokens, answer.attempts), (640, 31, 2));
    let (_, headers, body) = &replay.requests()[1];
    assert_eq!(
        (headers["x-api-key"].to_str().unwrap(), headers["anthropic-version"].to_str().unwrap()),
        ("sk-ant-test", "2023-06-01")
    );
    assert_eq!(body["system"], "You write one read-only SQL query for DuckDB.");
    assert_eq!(body["messages"][0]["role"], "user");
    assert_eq!(body["max_tokens"], 512);
}
