//! Spans to an OpenTelemetry collector over OTLP/HTTP (protobuf). The SDK's batch
//! processor collects ended spans and exports them from a thread of its own with a blocking
//! reqwest client, so a slow or absent collector never holds a request or the runtime up.

use anyhow::Context as _;
use opentelemetry::{
    KeyValue,
    propagation::TextMapPropagator as _,
    trace::{TraceContextExt as _, TracerProvider as _},
};
use opentelemetry_http::HeaderExtractor;
use opentelemetry_otlp::{Protocol, WithExportConfig as _};
use opentelemetry_sdk::{
    Resource,
    propagation::TraceContextPropagator,
    trace::{Sampler, SdkTracerProvider},
};
use tracing::{Level, field::Empty};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::{Layer, filter::Targets, registry::LookupSpan};

use crate::settings::TelemetrySettings;

/// The tracer provider exporting to `telemetry.otlp_endpoint`, or `None` without one.
pub(super) fn provider(settings: &TelemetrySettings) -> anyhow::Result<Option<SdkTracerProvider>> {
    let Some(endpoint) = settings.otlp_endpoint.as_deref().map(str::trim).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    let ratio = settings.sample_ratio;
    anyhow::ensure!((0.0..=1.0).contains(&ratio), "telemetry.sample_ratio must be between 0 and 1, not {ratio}");
    // Like OTEL_EXPORTER_OTLP_ENDPOINT, the setting names the collector; the exporter wants
    // the signal's own URL.
    let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(url)
        .build()
        .with_context(|| format!("telemetry.otlp_endpoint `{endpoint}` cannot be used"))?;
    let resource = Resource::builder()
        .with_service_name(settings.service_name.clone())
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build();
    Ok(Some(
        SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            // A caller's sampled (or not) trace keeps its decision; new traces are sampled
            // at the ratio.
            .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(ratio))))
            .with_resource(resource)
            .build(),
    ))
}

/// The layer turning `tracing` spans into OpenTelemetry spans (their fields become
/// attributes: the ask span's `org` and `datasource`, the generation's and execution's
/// `engine`).
pub(super) fn layer<S>(provider: &SdkTracerProvider) -> impl Layer<S> + Send + Sync + 'static
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
{
    // INFO and above, as the ask path's stages are. The exporter's own HTTP stack is left
    // out at every level: spans of the export would be exported in turn, without end.
    let filter = Targets::new().with_default(Level::INFO).with_targets(
        ["hyper", "hyper_util", "h2", "reqwest", "opentelemetry"]
            .map(|t| (t, tracing::level_filters::LevelFilter::OFF)),
    );
    tracing_opentelemetry::layer().with_tracer(provider.tracer("kurobe")).with_filter(filter)
}

/// The span of one HTTP request (for tower-http's `TraceLayer`): method and route
/// template, never the URI (its query may carry anything), and the request id and status
/// once known. A W3C `traceparent` header from the caller makes it a child of the caller's
/// span, so a trace crosses into Kurobe.
pub fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let route = request.extensions().get::<axum::extract::MatchedPath>().map(|path| path.as_str());
    let method = request.method().as_str();
    let span = tracing::info_span!(
        "request",
        otel.name = %route.map_or_else(|| method.to_owned(), |route| format!("{method} {route}")),
        otel.kind = "server",
        http.request.method = method,
        http.route = route,
        http.response.status_code = Empty,
        otel.status_code = Empty,
        request_id = Empty,
    );
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(request.headers()));
    if parent.span().span_context().is_valid() {
        // Fails only when no OpenTelemetry layer is installed, and then there is no trace.
        span.set_parent(parent).ok();
    }
    span
}
