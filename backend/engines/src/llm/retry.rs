use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::{StatusCode, header::HeaderMap};

use super::LlmError;

/// How a failed call is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_retries: u32,
    /// The first pause; each retry doubles the ceiling the pause is drawn under.
    pub base: Duration,
    /// No pause, not even one a `Retry-After` asks for, is longer than this.
    pub max_pause: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_retries: 2, base: Duration::from_millis(250), max_pause: Duration::from_secs(20) }
    }
}

impl RetryPolicy {
    /// Exponential backoff with full jitter: a pause drawn uniformly below
    /// `base * 2^attempt`, so clients that failed together do not retry together.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.base.saturating_mul(2u32.saturating_pow(attempt)).min(self.max_pause);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX).max(1);
        Duration::from_millis(rand::thread_rng().gen_range(0..=millis))
    }

    /// The pause before the next attempt: what `Retry-After` asks for when present (in
    /// seconds or as an HTTP date), otherwise the backoff.
    pub fn pause(&self, attempt: u32, headers: Option<&HeaderMap>) -> Duration {
        let asked =
            headers.and_then(|h| h.get(reqwest::header::RETRY_AFTER)).and_then(|v| v.to_str().ok()).and_then(|v| {
                v.trim().parse::<f64>().ok().map(Duration::from_secs_f64).or_else(|| {
                    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
                    (at.with_timezone(&chrono::Utc) - chrono::Utc::now()).to_std().ok()
                })
            });
        asked.unwrap_or_else(|| self.backoff(attempt)).min(self.max_pause)
    }
}

/// The outcome of one HTTP attempt.
pub(crate) enum Attempt<T> {
    Done(T),
    /// Worth retrying; the headers may carry `Retry-After`.
    Retry(LlmError, Option<HeaderMap>),
    Fail(LlmError),
}

/// Classifies an HTTP status the way both providers document it.
pub(crate) fn classify(status: StatusCode, headers: HeaderMap, body: &str) -> Attempt<()> {
    let message: String = body.chars().take(500).collect();
    match status.as_u16() {
        429 => Attempt::Retry(LlmError::RateLimited, Some(headers)),
        // 529 is Anthropic's "overloaded".
        500..=599 => Attempt::Retry(LlmError::Server { status: status.as_u16(), message }, Some(headers)),
        _ => Attempt::Fail(LlmError::Rejected { status: status.as_u16(), message }),
    }
}

/// Runs `attempt` until it succeeds, fails for good, or the retries are spent.
pub(crate) async fn with_retries<T, F, Fut>(policy: RetryPolicy, mut attempt: F) -> Result<(T, u32, Duration), LlmError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt<T>>,
{
    let started = Instant::now();
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Attempt::Done(value) => return Ok((value, tries, started.elapsed())),
            Attempt::Fail(error) => return Err(error),
            Attempt::Retry(error, _) if tries > policy.max_retries => return Err(error),
            Attempt::Retry(error, headers) => {
                let pause = policy.pause(tries - 1, headers.as_ref());
                tracing::info!(%error, attempt = tries, ?pause, "model call failed; retrying");
                tokio::time::sleep(pause).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_jittered_under_a_doubling_ceiling() {
        let policy =
            RetryPolicy { max_retries: 5, base: Duration::from_millis(100), max_pause: Duration::from_secs(1) };
        for attempt in 0..6 {
            let ceiling = Duration::from_millis(100 * 2u64.pow(attempt)).min(Duration::from_secs(1));
            for _ in 0..50 {
                assert!(policy.backoff(attempt) <= ceiling);
            }
        }
        let draws: std::collections::HashSet<_> = (0..50).map(|_| policy.backoff(3)).collect();
        assert!(draws.len() > 10, "no jitter: {draws:?}");
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let policy = RetryPolicy::default();
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(policy.pause(0, Some(&headers)), Duration::from_secs(3));
        headers.insert(reqwest::header::RETRY_AFTER, "3600".parse().unwrap());
        assert_eq!(policy.pause(0, Some(&headers)), policy.max_pause);
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(5)).to_rfc2822();
        headers.insert(reqwest::header::RETRY_AFTER, soon.parse().unwrap());
        let pause = policy.pause(0, Some(&headers));
        assert!(pause > Duration::from_secs(3) && pause <= Duration::from_secs(5), "{pause:?}");
    }
}
