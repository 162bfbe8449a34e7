//! A lazily connected Redis connection that never holds a request up: while Redis is
//! unreachable, callers get `None` at once and a new attempt is made every few seconds.
//! Shared by the result cache and the tenant cache's change notices.

use std::{
    sync::Arc,
    sync::atomic::{AtomicI64, Ordering},
    time::Duration,
};

use arc_swap::ArcSwapOption;
use chrono::Utc;
use redis::aio::ConnectionManager;

/// How long a Redis round trip may take before the caller gives up on it.
pub const REDIS_TIMEOUT: Duration = Duration::from_millis(200);
/// How often to try connecting again while Redis is unreachable.
const RECONNECT_EVERY: Duration = Duration::from_secs(2);

pub struct RedisLink {
    client: redis::Client,
    /// What the connection serves, for the log lines.
    purpose: &'static str,
    connection: ArcSwapOption<ConnectionManager>,
    /// Unix milliseconds before which no new connection attempt is made.
    next_attempt: AtomicI64,
}

impl std::fmt::Debug for RedisLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLink").field("purpose", &self.purpose).finish_non_exhaustive()
    }
}

impl RedisLink {
    pub fn new(client: redis::Client, purpose: &'static str) -> Self {
        Self { client, purpose, connection: ArcSwapOption::empty(), next_attempt: AtomicI64::new(0) }
    }

    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    /// The connection, or `None` while Redis is unreachable (one caller tries again every
    /// few seconds; the others do not wait for it).
    pub async fn connection(&self) -> Option<ConnectionManager> {
        if let Some(connection) = self.connection.load_full() {
            return Some((*connection).clone());
        }
        let now = Utc::now().timestamp_millis();
        let next = self.next_attempt.load(Ordering::Relaxed);
        if now < next
            || self
                .next_attempt
                .compare_exchange(next, now + RECONNECT_EVERY.as_millis() as i64, Ordering::AcqRel, Ordering::Relaxed)
                .is_err()
        {
            return None;
        }
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(REDIS_TIMEOUT)
            .set_response_timeout(REDIS_TIMEOUT)
            .set_number_of_retries(0);
        // Boxed: connecting is a large future, rarely run, that would otherwise swell every
        // caller's future (each request that reads the cache) by its size.
        let connect = Box::pin(self.client.get_connection_manager_with_config(config));
        match tokio::time::timeout(REDIS_TIMEOUT * 2, connect).await {
            Ok(Ok(connection)) => {
                tracing::info!(purpose = self.purpose, "connected to Redis");
                self.connection.store(Some(Arc::new(connection.clone())));
                Some(connection)
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, purpose = self.purpose, "Redis is unreachable; carrying on without it");
                None
            }
            Err(_) => None,
        }
    }

    /// Runs one command within [`REDIS_TIMEOUT`]; `None` when Redis is unreachable, slow or
    /// refuses it (logged with `what`).
    pub async fn query<T: redis::FromRedisValue>(&self, command: &redis::Cmd, what: &str) -> Option<T> {
        let mut connection = self.connection().await?;
        match tokio::time::timeout(REDIS_TIMEOUT, command.query_async::<T>(&mut connection)).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(error)) => {
                tracing::warn!(%error, purpose = self.purpose, "Redis {what} failed");
                None
            }
            Err(_) => {
                tracing::warn!(purpose = self.purpose, "Redis {what} timed out");
                None
            }
        }
    }
}
