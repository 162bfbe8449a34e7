//! The per-address rate limit (tower-governor), in front of everything else so a flood
//! never reaches authentication or the database. The per-credential limit is in
//! [`crate::limits`], applied once the caller is known.

use std::net::IpAddr;

use axum::{body::Body, http::Request, response::IntoResponse};
use tower_governor::{GovernorError, GovernorLayer, governor::GovernorConfigBuilder, key_extractor::KeyExtractor};

use super::ApiError;
use crate::{audit::client_ip, state::AppState};

/// The client address as the audit log records it; requests without one share a bucket.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress {
    trust_forwarded_for: bool,
}

impl KeyExtractor for ClientAddress {
    type Key = Option<IpAddr>;

    fn extract<T>(&self, req: &Request<T>) -> Result<Self::Key, GovernorError> {
        Ok(client_ip(req, self.trust_forwarded_for))
    }
}

/// The layer, unless the limit is turned off (`rate_limits.per_ip_per_second: 0`).
pub fn per_ip(
    state: &AppState,
) -> Option<GovernorLayer<ClientAddress, governor::middleware::NoOpMiddleware<governor::clock::QuantaInstant>, Body>> {
    let settings = &state.settings.rate_limits;
    if settings.per_ip_per_second == 0 {
        return None;
    }
    let interval_ns = 1_000_000_000 / u64::from(settings.per_ip_per_second);
    let config = GovernorConfigBuilder::default()
        .per_nanosecond(interval_ns.max(1))
        .burst_size(settings.ip_burst.max(1))
        .key_extractor(ClientAddress { trust_forwarded_for: state.settings.server.trust_forwarded_for })
        .finish()?;
    let metrics = state.metrics.clone();
    Some(GovernorLayer::new(config).error_handler(move |error| {
        let retry_after_seconds = match error {
            GovernorError::TooManyRequests { wait_time, .. } => wait_time.max(1),
            _ => 1,
        };
        metrics.rate_limited.with_label_values(&["ip"]).inc();
        ApiError::RateLimited { retry_after_seconds }.into_response()
    }))
}
