//! Tracing of model calls to Langfuse, over its public ingestion API. Events are queued and
//! sent in batches by a background task: a slow or unreachable Langfuse never fails or slows
//! a question, it only loses events (counted, and logged once per batch).

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::llm::Usage;

/// Where and as whom to send; read from `LANGFUSE_PUBLIC_KEY`, `LANGFUSE_SECRET_KEY` and
/// `LANGFUSE_HOST`.
#[derive(Clone)]
pub struct LangfuseConfig {
    pub host: String,
    pub public_key: String,
    pub secret_key: String,
    pub batch_size: usize,
    pub flush_interval: Duration,
}

impl std::fmt::Debug for LangfuseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LangfuseConfig")
            .field("host", &self.host)
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

impl LangfuseConfig {
    /// The configuration in the environment, if both keys are set.
    pub fn from_env() -> Option<Self> {
        let public_key = std::env::var("LANGFUSE_PUBLIC_KEY").ok().filter(|k| !k.is_empty())?;
        let secret_key = std::env::var("LANGFUSE_SECRET_KEY").ok().filter(|k| !k.is_empty())?;
        let host = std::env::var("LANGFUSE_HOST").unwrap_or_else(|_| "https://cloud.langfuse.com".into());
        Some(Self { host, public_key, secret_key, batch_size: 50, flush_interval: Duration::from_secs(1) })
    }
}

/// One model call, as Langfuse records a generation.
#[derive(Debug, Clone)]
pub struct GenerationEvent {
    pub trace_id: String,
    pub name: String,
    pub model: String,
    pub input: Value,
    pub output: String,
    pub usage: Usage,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The sending side: cheap to clone, never blocks.
#[derive(Debug, Clone)]
pub struct Langfuse {
    queue: mpsc::Sender<Value>,
    dropped: Arc<AtomicU64>,
}

const QUEUE: usize = 10_000;

impl Langfuse {
    /// Starts the background sender; it stops once every `Langfuse` handle is dropped, after
    /// sending what is queued, and then yields the number of events lost.
    pub fn start(config: LangfuseConfig) -> (Self, tokio::task::JoinHandle<u64>) {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(send_batches(config, receiver, dropped.clone()));
        (Self { queue, dropped }, task)
    }

    /// Events lost: queue full, or Langfuse unreachable or refusing.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn push(&self, event: Value) {
        if self.queue.try_send(event).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Opens a trace for one question.
    pub fn trace(&self, trace_id: &str, name: &str, user_id: Option<&str>, input: &str, metadata: Value) {
        self.push(envelope(
            "trace-create",
            json!({ "id": trace_id, "name": name, "userId": user_id, "input": input, "metadata": metadata, "timestamp": Utc::now() }),
        ));
    }

    pub fn generation(&self, event: GenerationEvent) {
        self.push(envelope(
            "generation-create",
            json!({
                "id": uuid_like(),
                "traceId": event.trace_id,
                "name": event.name,
                "model": event.model,
                "input": event.input,
                "output": event.output,
                "startTime": event.start,
                "endTime": event.end,
                "usage": { "input": event.usage.input_tokens, "output": event.usage.output_tokens, "unit": "TOKENS" },
            }),
        ));
    }
}

/// A random id in UUID form, without a UUID dependency for one call site.
fn uuid_like() -> String {
    let bytes: [u8; 16] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

fn envelope(kind: &str, body: Value) -> Value {
    json!({ "id": uuid_like(), "timestamp": Utc::now(), "type": kind, "body": body })
}

async fn send_batches(config: LangfuseConfig, mut receiver: mpsc::Receiver<Value>, dropped: Arc<AtomicU64>) -> u64 {
    let http = reqwest::Client::new();
    let url = format!("{}/api/public/ingestion", config.host.trim_end_matches('/'));
    let mut batch = Vec::with_capacity(config.batch_size);
    loop {
        let open = tokio::select! {
            event = receiver.recv() => match event {
                Some(event) => { batch.push(event); true }
                None => false,
            },
            () = tokio::time::sleep(config.flush_interval) => true,
        };
        let full = batch.len() >= config.batch_size;
        if !batch.is_empty() && (full || !open || receiver.is_empty()) {
            let events = std::mem::take(&mut batch);
            let count = events.len() as u64;
            let sent = http
                .post(&url)
                .basic_auth(&config.public_key, Some(&config.secret_key))
                .timeout(Duration::from_secs(10))
                .json(&json!({ "batch": events }))
                .send()
                .await;
            match sent {
                Ok(response) if response.status().is_success() => {}
                Ok(response) => {
                    dropped.fetch_add(count, Ordering::Relaxed);
                    tracing::warn!(status = %response.status(), count, "Langfuse refused a batch of trace events");
                }
                Err(err) => {
                    dropped.fetch_add(count, Ordering::Relaxed);
                    tracing::warn!(%err, count, "Langfuse is unreachable; trace events dropped");
                }
            }
        }
        if !open {
            return dropped.load(Ordering::Relaxed);
        }
    }
}
