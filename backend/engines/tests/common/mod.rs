//! A local server replaying recorded provider responses, shared by the model tests.

#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

use kurobe_engines::llm::{ChatRequest, Message, RetryPolicy, Role};
pub use kurobe_engines::testing::{Replay, Reply};

pub fn reply(status: u16, fixture: &str) -> Reply {
    let body = std::fs::read_to_string(format!("{}/tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    Reply::new(status, body)
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
