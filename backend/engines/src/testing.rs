//! A local HTTP server replaying recorded provider responses (OpenAI chat completions,
//! Anthropic messages, Langfuse ingestion), for tests of our clients and of the ask path.
//! No model API is reachable from the machines the tests run on; this tests Kurobe's side
//! of the conversation, never a model.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::Bytes,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
};

/// One scripted answer: status, extra headers, body, and a delay before answering.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, &'static str)>,
    pub body: String,
    pub delay: Duration,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Reply { status, headers: vec![], body: body.into(), delay: Duration::ZERO }
    }

    /// An OpenAI chat completion answering `content`, shaped as the API records it.
    pub fn openai_answer(content: &str) -> Self {
        let body = serde_json::json!({
            "id": "chatcmpl-replayed",
            "object": "chat.completion",
            "created": 1_732_200_000,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{
                "index": 0,
                "message": { "role": "assistant", "content": content, "refusal": null },
                "logprobs": null,
                "finish_reason": "stop",
            }],
            "usage": { "prompt_tokens": 812, "completion_tokens": 64, "total_tokens": 876 },
            "system_fingerprint": "fp_0ba0d124f1",
        });
        Self::new(200, body.to_string())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Replay {
    script: Arc<Mutex<Vec<Reply>>>,
    seen: Arc<Mutex<Vec<(Instant, HeaderMap, serde_json::Value)>>>,
}

impl Replay {
    pub async fn start(script: Vec<Reply>) -> (Self, String) {
        let replay = Replay { script: Arc::new(Mutex::new(script)), ..Replay::default() };
        let state = replay.clone();
        let handler = move |headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move {
                state.seen.lock().unwrap().push((
                    Instant::now(),
                    headers,
                    serde_json::from_slice(&body).unwrap_or_default(),
                ));
                let next = {
                    let mut script = state.script.lock().unwrap();
                    if script.is_empty() {
                        Reply::new(500, "{\"error\":\"the replay script is exhausted\"}")
                    } else {
                        script.remove(0)
                    }
                };
                tokio::time::sleep(next.delay).await;
                let mut response = (StatusCode::from_u16(next.status).unwrap(), next.body).into_response();
                for (name, value) in next.headers {
                    response.headers_mut().insert(name, value.parse().unwrap());
                }
                response.headers_mut().insert("content-type", "application/json".parse().unwrap());
                response
            }
        };
        let app = axum::Router::new()
            .route("/v1/chat/completions", axum::routing::post(handler.clone()))
            .route("/v1/messages", axum::routing::post(handler.clone()))
            .route("/api/public/ingestion", axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (replay, url)
    }

    pub fn requests(&self) -> Vec<(Instant, HeaderMap, serde_json::Value)> {
        self.seen.lock().unwrap().clone()
    }
}
