use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::settings::{LogFormat, LogSettings};

/// Installs the global subscriber: JSON lines by default, human-readable on request.
/// `RUST_LOG` overrides the configured filter. Logs go to stderr, so a command's output on
/// stdout (`kurobe openapi`, `kurobe ask --json`) stays clean.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match settings.format {
        LogFormat::Json => registry
            .with(fmt::layer().json().flatten_event(true).with_current_span(false).with_writer(std::io::stderr))
            .try_init(),
        LogFormat::Pretty => registry.with(fmt::layer().compact().with_writer(std::io::stderr)).try_init(),
    };
    // A second initialisation (tests, embedding) keeps the first subscriber.
    drop(result);
}
