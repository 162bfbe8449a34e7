//! Errors to Sentry: ERROR events (every 5xx logs one, with its cause) and panics, each
//! tagged with its request id by `scope_request`, scrubbed of secrets before it leaves.

use std::sync::Arc;

use anyhow::Context as _;
use secrecy::ExposeSecret as _;
use sentry::integrations::tracing::ErrorLayer;
use tracing::Level;
use tracing_subscriber::{Layer, filter::filter_fn, registry::LookupSpan};

use super::scrub::Scrubber;
use crate::settings::Settings;

/// The client sending to `telemetry.sentry_dsn`, or `None` without one.
pub(super) fn client(settings: &Settings) -> anyhow::Result<Option<Arc<sentry::Client>>> {
    // An empty value (as config.sample.env has it) means none.
    let Some(dsn) = settings.telemetry.sentry_dsn.as_ref().map(|d| d.expose_secret().trim()).filter(|d| !d.is_empty())
    else {
        return Ok(None);
    };
    let dsn: sentry::types::Dsn = dsn.parse().context("telemetry.sentry_dsn (SENTRY_DSN) is not a Sentry DSN")?;
    let scrubber = Scrubber::new(settings);
    let mut options = sentry::ClientOptions::new();
    options.dsn = Some(dsn);
    options.release = Some(concat!("kurobe@", env!("CARGO_PKG_VERSION")).into());
    options.environment = Some(settings.telemetry.environment.clone().into());
    // No addresses, cookies or headers: the SDK adds none of them by itself.
    options.send_default_pii = false;
    options.before_send = Some(Arc::new(move |event| scrubber.event(event)));
    // The default integrations (panics, stack traces, OS and runtime contexts) and the
    // reqwest transport, which sends from a thread of its own.
    Ok(Some(Arc::new(sentry::Client::from(sentry::apply_defaults(options)))))
}

/// ERROR events become Sentry events on the current hub; nothing else is sent (no
/// breadcrumbs, spans or logs: traces go to the collector, and a breadcrumb taken on a
/// hub shared by several requests could carry one organisation's details into another's
/// report).
pub(super) fn layer<S>() -> impl Layer<S> + Send + Sync + 'static
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    ErrorLayer::new().with_filter(filter_fn(|metadata| {
        *metadata.level() == Level::ERROR
            // tower-http's "response failed" repeats, outside the request's hub and so
            // untagged, the 5xx the handler already logged with its cause.
            && !metadata.target().starts_with("tower_http")
            // The trace exporter's complaints about its collector belong in the logs.
            && !metadata.target().starts_with("opentelemetry")
    }))
}
