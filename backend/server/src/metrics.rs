//! Prometheus metrics, served as text at `/metrics`: request latency by route template,
//! the ask path's stage timings, cache hits and misses, engine reload failures, model
//! tokens and failures, connector errors, rate-limit refusals.

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    http::header::CONTENT_TYPE,
    middleware::Next,
    response::{IntoResponse, Response},
};
use kurobe_api::queries::{QueryResponse, Timings};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder, exponential_buckets,
};

use crate::state::AppState;

/// Every metric, registered in one registry.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_seconds: HistogramVec,
    stage_seconds: HistogramVec,
    cache: IntCounterVec,
    pub engine_reload_failures: IntCounter,
    llm_tokens: IntCounterVec,
    engine_failures: IntCounterVec,
    connector_errors: IntCounterVec,
    pub rate_limited: IntCounterVec,
}

/// Latency buckets from 0.5 ms to about 33 s.
fn buckets() -> Vec<f64> {
    exponential_buckets(0.0005, 2.0, 17).unwrap_or_default()
}

impl Metrics {
    /// Builds and registers every metric; the names are fixed, so registration cannot
    /// clash and a failure here is a programming error caught by the tests.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("kurobe".into()), None)?;
        let counter = |name: &str, help: &str, labels: &[&str]| -> Result<IntCounterVec, prometheus::Error> {
            let metric = IntCounterVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(metric.clone()))?;
            Ok(metric)
        };
        let histogram = |name: &str, help: &str, labels: &[&str]| -> Result<HistogramVec, prometheus::Error> {
            let metric = HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets()), labels)?;
            registry.register(Box::new(metric.clone()))?;
            Ok(metric)
        };
        let engine_reload_failures = IntCounter::new(
            "engine_reload_failures_total",
            "Reloads of engines.yaml refused (the running registry stayed)",
        )?;
        registry.register(Box::new(engine_reload_failures.clone()))?;
        Ok(Self {
            requests: counter(
                "http_requests_total",
                "HTTP requests by route template, method and status",
                &["route", "method", "status"],
            )?,
            request_seconds: histogram(
                "http_request_duration_seconds",
                "HTTP request latency by route template",
                &["route"],
            )?,
            stage_seconds: histogram(
                "ask_stage_duration_seconds",
                "Time spent in each stage of the ask path",
                &["stage"],
            )?,
            cache: counter("result_cache_lookups_total", "Result cache lookups by outcome (hit, miss)", &["outcome"])?,
            llm_tokens: counter(
                "llm_tokens_total",
                "Model tokens by engine and direction (input, output)",
                &["engine", "direction"],
            )?,
            engine_failures: counter("engine_failures_total", "Text-to-SQL engine failures by engine", &["engine"])?,
            connector_errors: counter("connector_errors_total", "Warehouse errors by error code", &["code"])?,
            rate_limited: counter(
                "rate_limited_total",
                "Requests refused by a rate limit, by scope (ip, credential)",
                &["scope"],
            )?,
            engine_reload_failures,
            registry,
        })
    }

    /// Records what an answer's timings and cache information say.
    pub fn record_answer(&self, answer: &QueryResponse) {
        let Timings { context_ms, generate_ms, guard_ms, cache_ms, execute_ms, chart_ms, total_ms } = answer.timings;
        for (stage, ms) in [
            ("context", context_ms),
            ("generate", generate_ms),
            ("guard", guard_ms),
            ("cache", cache_ms),
            ("execute", execute_ms),
            ("chart", chart_ms),
            ("total", total_ms),
        ] {
            if ms > 0.0 || stage == "total" {
                self.stage_seconds.with_label_values(&[stage]).observe(ms / 1000.0);
            }
        }
        self.cache.with_label_values(&[if answer.cache.hit { "hit" } else { "miss" }]).inc();
        if let Some(generation) = &answer.generation {
            let engine = generation.engine.as_str();
            self.llm_tokens.with_label_values(&[engine, "input"]).inc_by(generation.input_tokens);
            self.llm_tokens.with_label_values(&[engine, "output"]).inc_by(generation.output_tokens);
            for failed in &generation.failed_engines {
                self.engine_failures.with_label_values(&[failed.as_str()]).inc();
            }
        }
    }

    pub fn record_failure(&self, code: kurobe_api::ErrorCode) {
        use kurobe_api::ErrorCode;
        match code {
            ErrorCode::QueryFailed | ErrorCode::QueryTimeout | ErrorCode::DataSourceUnavailable => {
                self.connector_errors.with_label_values(&[code.as_str()]).inc();
            }
            ErrorCode::EngineFailed => self.engine_failures.with_label_values(&["all"]).inc(),
            _ => {}
        }
    }

    fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding text into a Vec only fails on metrics that are not valid, which the
        // fixed definitions above are not.
        TextEncoder::new().encode(&self.registry.gather(), &mut out).ok();
        String::from_utf8(out).unwrap_or_default()
    }
}

/// Counts and times every request by its route template (never the raw path, whose ids
/// would make every request its own series).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    state.metrics.requests.with_label_values(&[&route, &method, &status]).inc();
    state.metrics.request_seconds.with_label_values(&[&route]).observe(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`, in Prometheus's text format.
pub async fn serve(State(state): State<AppState>) -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}
