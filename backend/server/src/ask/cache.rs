//! The result cache: an in-process tier (moka) in front of Redis. The key covers everything
//! that decides the rows — organisation, data source and its configuration, schema
//! generation, the caller's policy context and the final SQL — so two callers share an
//! entry only when they would have read the same rows. A refresh moves the schema
//! generation on, which retires every entry of the source at once.
//!
//! Identical concurrent misses run once: moka lets the first caller compute and the others
//! wait for its result. Redis is an optimisation only: when it is down or slow, lookups
//! miss and writes are skipped, and answers keep coming from the warehouse.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use kurobe_connector::{Column, ConnectorError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::redis_link::RedisLink;

/// Rows as the API returns them, with when they were read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedResult {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<serde_json::Value>>,
    pub truncated: bool,
    pub computed_at: DateTime<Utc>,
    /// The warehouse's time when the rows were read.
    pub execute_ms: f64,
    /// How long the entry lives, in seconds.
    pub ttl_seconds: u32,
}

/// What decides a result besides the SQL text.
#[derive(Debug, Clone)]
pub struct CacheScope<'a> {
    pub org_id: Uuid,
    pub datasource_id: Uuid,
    pub config_version: i64,
    pub schema_generation: i64,
    /// Settings the warehouse sees for this caller (its own row-level security).
    pub settings: &'a [(String, String)],
}

/// A SHA-256 over parts each prefixed with its length, so no two different lists of parts
/// hash the same bytes: the keys of the result cache and of the known answers.
pub(crate) struct KeyHasher(Sha256);

impl KeyHasher {
    /// Starts with `tag`, which names the kind of key and its version.
    pub fn new(tag: &[u8]) -> Self {
        let mut hasher = Self(Sha256::new());
        hasher.part(tag);
        hasher
    }

    pub fn part(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

/// The key of the scope and the SQL.
pub fn key(scope: &CacheScope<'_>, sql: &str) -> [u8; 32] {
    let mut hash = KeyHasher::new(b"kurobe.result.v1");
    hash.part(scope.org_id.as_bytes())
        .part(scope.datasource_id.as_bytes())
        .part(&scope.config_version.to_le_bytes())
        .part(&scope.schema_generation.to_le_bytes());
    for (name, value) in scope.settings {
        hash.part(name.as_bytes()).part(value.as_bytes());
    }
    hash.part(sql.as_bytes());
    hash.finish()
}

/// Results larger than this (serialised) are not cached: they would crowd out many small
/// ones and cost more to move through Redis than to recompute.
const MAX_ENTRY_BYTES: usize = 8 * 1024 * 1024;
struct Expiry;

impl moka::Expiry<[u8; 32], Arc<CachedResult>> for Expiry {
    fn expire_after_create(&self, _: &[u8; 32], value: &Arc<CachedResult>, _: Instant) -> Option<Duration> {
        let age = (Utc::now() - value.computed_at).to_std().unwrap_or_default();
        Some(Duration::from_secs(value.ttl_seconds.into()).saturating_sub(age))
    }
}

/// The shared tier: results serialised as JSON under `kurobe:result:v1:<key>`.
struct RedisTier(RedisLink);

impl RedisTier {
    async fn get(&self, key: &str) -> Option<CachedResult> {
        let mut command = redis::cmd("GET");
        command.arg(key);
        let bytes: Option<Vec<u8>> = self.0.query(&command, "lookup").await?;
        serde_json::from_slice(&bytes?).ok()
    }

    async fn set(&self, key: &str, bytes: Vec<u8>, ttl_seconds: u32) {
        let mut command = redis::cmd("SET");
        command.arg(key).arg(bytes).arg("EX").arg(ttl_seconds);
        self.0.query::<()>(&command, "store").await;
    }
}

/// The two-tier cache.
pub struct ResultCache {
    local: moka::future::Cache<[u8; 32], Arc<CachedResult>>,
    redis: Option<RedisTier>,
}

impl std::fmt::Debug for ResultCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultCache")
            .field("local_entries", &self.local.entry_count())
            .field("redis", &self.redis.is_some())
            .finish()
    }
}

impl ResultCache {
    /// A cache holding up to `capacity_bytes` of results in process, backed by Redis when
    /// a client is given.
    pub fn new(capacity_bytes: u64, redis: Option<redis::Client>) -> Self {
        let local = moka::future::Cache::builder()
            .max_capacity(capacity_bytes)
            .weigher(|_, value: &Arc<CachedResult>| weight(value))
            .expire_after(Expiry)
            .build();
        let redis = redis.map(|client| RedisTier(RedisLink::new(client, "result cache")));
        Self { local, redis }
    }

    /// The cached rows for `key`, or the rows `run` reads — run once however many callers
    /// ask for the same key at the same time. With `ttl_seconds == 0` (the data source's
    /// caching is off) the result is returned but not kept, so Redis is not asked either:
    /// it cannot hold one (the change of limits moved `config_version`, part of the key).
    pub async fn get_or_run<F>(
        &self,
        key: [u8; 32],
        ttl_seconds: u32,
        run: F,
    ) -> Result<Arc<CachedResult>, ConnectorError>
    where
        F: Future<Output = Result<CachedResult, ConnectorError>>,
    {
        let redis_key = format!("kurobe:result:v1:{}", kurobe_store::hex(&key));
        let entry = self
            .local
            .entry(key)
            .or_try_insert_with(async {
                if let Some(redis) = &self.redis
                    && ttl_seconds > 0
                    && let Some(found) = redis.get(&redis_key).await
                {
                    return Ok(Arc::new(found));
                }
                let result = run.await?;
                if let Some(redis) = &self.redis
                    && result.ttl_seconds > 0
                    && let Ok(bytes) = serde_json::to_vec(&result)
                    && bytes.len() <= MAX_ENTRY_BYTES
                {
                    redis.set(&redis_key, bytes, result.ttl_seconds).await;
                }
                Ok(Arc::new(result))
            })
            .await
            .map_err(|error: Arc<ConnectorError>| (*error).clone())?;
        Ok(entry.into_value())
    }
}

/// Roughly the bytes a result holds, so the in-process tier is bounded by memory rather
/// than by a count of entries of any size. Uncacheable results weigh the most, so they
/// leave first.
fn weight(value: &CachedResult) -> u32 {
    if value.ttl_seconds == 0 {
        return u32::MAX;
    }
    let cells: usize = value.rows.iter().map(|row| row.iter().map(cell_size).sum::<usize>()).sum();
    u32::try_from(cells + 64 * value.columns.len() + 128).unwrap_or(u32::MAX)
}

fn cell_size(value: &serde_json::Value) -> usize {
    match value {
        serde_json::Value::String(text) => 24 + text.len(),
        _ => 16,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(settings: &[(String, String)]) -> CacheScope<'_> {
        CacheScope {
            org_id: Uuid::nil(),
            datasource_id: Uuid::nil(),
            config_version: 1,
            schema_generation: 1,
            settings,
        }
    }

    #[test]
    fn the_key_changes_with_every_part_of_the_scope() {
        let base = key(&scope(&[]), "SELECT 1");
        assert_eq!(base, key(&scope(&[]), "SELECT 1"));
        assert_ne!(base, key(&scope(&[]), "SELECT 2"));
        assert_ne!(base, key(&CacheScope { org_id: Uuid::max(), ..scope(&[]) }, "SELECT 1"));
        assert_ne!(base, key(&CacheScope { schema_generation: 2, ..scope(&[]) }, "SELECT 1"));
        assert_ne!(base, key(&CacheScope { config_version: 2, ..scope(&[]) }, "SELECT 1"));
        let settings = [("app.region".to_owned(), "EU".to_owned())];
        assert_ne!(base, key(&scope(&settings), "SELECT 1"));
        // Length prefixes keep adjacent parts from sliding into each other.
        let split = [("ab".to_owned(), "c".to_owned())];
        let joined = [("a".to_owned(), "bc".to_owned())];
        assert_ne!(key(&scope(&split), "x"), key(&scope(&joined), "x"));
    }
}
