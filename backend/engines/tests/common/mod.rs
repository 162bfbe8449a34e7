//! A local server replaying recorded provider responses, shared by the model tests.

#![allow(dead_code, clippy::unwrap_used)]

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
use kurobe_engines::llm::{ChatRequest, Message, RetryPolicy, Role};

/// One scripted answer: status, extra headers, body, and a delay before answering.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, &'static str)>,
    pub body: String,
    pub delay: Duration,
}

pub fn reply(status: u16, fixture: &str) -> Reply {
    let body = std::fs::read_to_string(format!("{}/tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    Reply { status, headers: vec![], body, delay: Duration::ZERO }
}

#[derive(Clone, Default)]
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
                let next = state.script.lock().unwrap().remove(0);
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

pub fn question() -> ChatRequest {
    ChatRequest {
        system: "You write one read-only SQL query for DuckDB.".into(),
        messages: vec![Message { role: Role::User, content: "How many orders per region?".into() }],
        max_tokens: 512,
        temperature: 0.0,
    }
}

pub fn policy(max_retries: u32) -> RetryPolicy {
    RetryPolicy { max_retries, base: Duration::from_millis(20), max_pause: Duration::from_secs(5) }
}
