//! Rate limits. Two layers: per client IP before anything else (tower-governor, so a flood
//! never reaches authentication or the database), and per credential — an API key, or a
//! signed-in user — once the caller is known, with the quota its organisation chose
//! (`rate_limit_per_minute` in the organisation's settings) or the server's default.
//!
//! Refusals are `429 rate_limited` with `Retry-After`. They are counted in metrics and not
//! written to the audit log, which a flood would otherwise turn into a flood of writes.

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};
use kurobe_core::{Credential, Principal};
use uuid::Uuid;

use crate::{http::ApiError, settings::RateLimitSettings, state::AppState};

/// How long an organisation's quota is kept before its settings are read again.
const QUOTA_TTL: Duration = Duration::from_secs(60);

/// The per-credential limiters, one per organisation (its quota applies to each of its
/// credentials separately).
#[derive(Debug)]
pub struct CredentialLimits {
    default_per_minute: u32,
    by_org: moka::sync::Cache<Uuid, Arc<DefaultKeyedRateLimiter<Uuid>>>,
}

fn limiter(per_minute: u32) -> Arc<DefaultKeyedRateLimiter<Uuid>> {
    let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    // A burst of a sixth of the minute's quota: scripts may be bursty, floods are cut.
    let burst = NonZeroU32::new((per_minute / 6).max(1)).unwrap_or(NonZeroU32::MIN);
    Arc::new(RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst)))
}

impl CredentialLimits {
    pub fn new(settings: &RateLimitSettings) -> Self {
        Self {
            default_per_minute: settings.per_credential_per_minute,
            by_org: moka::sync::Cache::builder().time_to_live(QUOTA_TTL).max_capacity(100_000).build(),
        }
    }

    /// Refuses the request when the caller's credential has used its quota.
    pub async fn check(&self, state: &AppState, principal: &Principal) -> Result<(), ApiError> {
        if self.default_per_minute == 0 {
            return Ok(());
        }
        let limiter = match self.by_org.get(&principal.org_id) {
            Some(limiter) => limiter,
            None => {
                let settings = crate::ask::organisation_settings(state, principal.org_id).await?;
                let per_minute = settings["rate_limit_per_minute"]
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(self.default_per_minute);
                let limiter = limiter(per_minute);
                self.by_org.insert(principal.org_id, limiter.clone());
                limiter
            }
        };
        let key = match principal.credential {
            Credential::ApiKey { id, .. } => id,
            Credential::Session => principal.user_id,
        };
        limiter.check_key(&key).map_err(|not_until| {
            state.metrics.rate_limited.with_label_values(&["credential"]).inc();
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            ApiError::RateLimited { retry_after_seconds: wait.as_secs().max(1) }
        })
    }

    /// Forgets an organisation's quota, so a change applies to the next request.
    pub fn forget(&self, org_id: Uuid) {
        self.by_org.invalidate(&org_id);
    }
}
