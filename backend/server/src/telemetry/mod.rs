//! What the server tells its operators: JSON logs on stderr, spans to an OpenTelemetry
//! collector over OTLP (`traces`), and errors to Sentry with every secret scrubbed
//! (`errors`, `scrub`). Prometheus metrics are in `metrics`.
//!
//! [`Telemetry`] holds the exporters as a value and [`Telemetry::layer`] is a `tracing`
//! layer to attach to any subscriber, so a test can export through its own subscriber
//! without touching the process-wide one; [`init`] installs them globally for the binary.

mod errors;
mod scrub;
mod traces;

use std::{sync::Arc, time::Duration};

use axum::{
    extract::{MatchedPath, Request},
    middleware::Next,
    response::Response,
};
use opentelemetry::trace::TraceContextExt as _;
use sentry::SentryFutureExt as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::{EnvFilter, Layer, Registry, fmt, prelude::*, registry::LookupSpan};

pub use self::traces::request_span;
use crate::{
    audit::current_request_id,
    settings::{LogFormat, Settings},
};

/// How long exporters may take to send what they hold when the process ends.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// The exporters the settings asked for; neither exists until its address is configured.
#[derive(Debug, Default)]
pub struct Telemetry {
    traces: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
    errors: Option<Arc<sentry::Client>>,
}

impl Telemetry {
    /// Builds the exporters. Nothing global changes: the spans and errors go nowhere until
    /// [`Telemetry::layer`] is attached to a subscriber (and, for errors, the client bound to
    /// a Sentry hub).
    pub fn start(settings: &Settings) -> anyhow::Result<Self> {
        Ok(Self { traces: traces::provider(&settings.telemetry)?, errors: errors::client(settings)? })
    }

    /// Spans (INFO and above) to the collector, and ERROR events to Sentry as error events.
    pub fn layer<S>(&self) -> impl Layer<S> + Send + Sync + 'static
    where
        S: tracing::Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
    {
        let spans = self.traces.as_ref().map(traces::layer);
        let errors = self.errors.is_some().then(errors::layer);
        Layer::and_then(spans, errors)
    }

    /// The Sentry client, for binding to a hub; `None` without a DSN.
    pub fn sentry_client(&self) -> Option<Arc<sentry::Client>> {
        self.errors.clone()
    }

    /// Sends what the exporters hold now.
    pub async fn flush(&self) {
        send_off_runtime(self.traces.clone(), self.errors.clone(), false).await;
    }

    /// Sends what the exporters hold and stops them: at the end of `kurobe serve` (after the
    /// graceful shutdown) and of every other command.
    pub async fn shutdown(self) {
        send_off_runtime(self.traces, self.errors, true).await;
    }
}

/// Both exporters block while they send, so they do it off the runtime (whose other tasks
/// may be the very receivers, in tests); `stop` ends them afterwards.
async fn send_off_runtime(
    traces: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
    errors: Option<Arc<sentry::Client>>,
    stop: bool,
) {
    let sent = tokio::task::spawn_blocking(move || {
        if let Some(provider) = traces
            && let Err(error) = if stop { provider.shutdown() } else { provider.force_flush() }
        {
            tracing::warn!(%error, "could not export the last spans");
        }
        if let Some(client) = errors {
            if stop {
                client.close(Some(FLUSH_TIMEOUT));
            } else {
                client.flush(Some(FLUSH_TIMEOUT));
            }
        }
    });
    sent.await.ok();
}

/// Installs the global subscriber: JSON lines by default, human-readable on request, and
/// the configured exporters. `RUST_LOG` overrides the log filter (not what is exported).
/// Logs go to stderr, so a command's output on stdout (`kurobe openapi`, `kurobe ask
/// --json`) stays clean.
pub fn init(settings: &Settings) -> anyhow::Result<Telemetry> {
    let telemetry = Telemetry::start(settings)?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.log.filter));
    let logs: Box<dyn Layer<Registry> + Send + Sync> = match settings.log.format {
        LogFormat::Json => {
            fmt::layer().json().flatten_event(true).with_current_span(false).with_writer(std::io::stderr).boxed()
        }
        LogFormat::Pretty => fmt::layer().compact().with_writer(std::io::stderr).boxed(),
    };
    let result = tracing_subscriber::registry().with(logs.with_filter(filter)).with(telemetry.layer()).try_init();
    // A second initialisation (tests, embedding) keeps the first subscriber.
    drop(result);
    if let Some(client) = telemetry.sentry_client() {
        // The process hub: every thread's hub starts from it.
        sentry::Hub::main().bind_client(Some(client));
    }
    Ok(telemetry)
}

/// Per request, inside `audit::request_context` (so the request id is known): names the
/// request span after its id and status, and gives the request a Sentry hub of its own,
/// tagged with the id (and the trace id), so an error or panic is reported under the request that caused it
/// and nothing of another request's scope travels with it.
pub async fn scope_request(request: Request, next: Next) -> Response {
    let span = tracing::Span::current();
    let request_id = current_request_id();
    if let Some(id) = &request_id {
        span.record("request_id", id.as_str());
    }
    let current = sentry::Hub::current();
    let response = if current.client().is_some() {
        let hub = Arc::new(sentry::Hub::new_from_top(current));
        let route = request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_owned());
        // The trace the request is in, when traces are exported: from a report to its trace.
        let trace_id = span.context().span().span_context().trace_id();
        hub.configure_scope(|scope| {
            if let Some(id) = &request_id {
                scope.set_tag("request_id", id);
            }
            if trace_id != opentelemetry::trace::TraceId::INVALID {
                scope.set_tag("trace_id", trace_id);
            }
            if let Some(route) = route {
                scope.set_tag("route", route);
            }
        });
        next.run(request).bind_hub(hub).await
    } else {
        next.run(request).await
    };
    let status = response.status();
    span.record("http.response.status_code", status.as_u16());
    if status.is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
    response
}
