//! What nearly every request reads and almost nothing writes — an API key's record, a
//! member's role and attributes, a data source's record and verified examples, an
//! organisation's settings — kept
//! in memory for `tenant_cache.ttl_seconds`, so that an answer served from the result cache
//! costs no database round trip.
//!
//! Staleness is bounded by an epoch rather than by the TTL alone. Every entry carries the
//! epoch it was read under and counts only while the epoch is unchanged. A change made
//! through this instance moves the epoch on at once ([`TenantCache::changed`], called after
//! the change commits, before the response leaves), and publishes a notice on Redis that
//! moves every other instance's epoch on too. An entry read while a change was committing
//! carries the old epoch, so it is never served. Without Redis, other instances see a
//! change within the TTL; a revoked key or a removed member is refused at once on the
//! instance that made the change, and everywhere within `ttl_seconds` at the latest.

use std::{
    future::Future,
    hash::Hash,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use futures_util::StreamExt as _;
use kurobe_store::{ApiKeyRecord, DataSourceRecord, MemberRecord, VerifiedExample};
use uuid::Uuid;

use crate::{redis_link::RedisLink, settings::TenantCacheSettings};

/// The Redis channel change notices travel on.
const CHANNEL: &str = "kurobe:tenant-cache:changed";
/// How long to wait before subscribing again after Redis went away.
const RESUBSCRIBE_EVERY: Duration = Duration::from_secs(1);

struct Entry<T> {
    epoch: u64,
    value: Arc<T>,
}

// By hand: a derive would demand `T: Clone`, and only the `Arc` is cloned.
impl<T> Clone for Entry<T> {
    fn clone(&self) -> Self {
        Self { epoch: self.epoch, value: self.value.clone() }
    }
}

type Map<K, T> = moka::sync::Cache<K, Entry<T>>;

/// A value from the cache or freshly read; `fresh` says which.
#[derive(Debug)]
pub struct Cached<T> {
    pub value: Arc<T>,
    pub fresh: bool,
}

pub struct TenantCache {
    enabled: bool,
    epoch: AtomicU64,
    api_keys: Map<Uuid, ApiKeyRecord>,
    /// By (organisation, user).
    members: Map<(Uuid, Uuid), MemberRecord>,
    /// By (organisation, data source).
    datasources: Map<(Uuid, Uuid), DataSourceRecord>,
    org_settings: Map<Uuid, serde_json::Value>,
    /// A data source's verified examples, by (organisation, data source).
    examples: Map<(Uuid, Uuid), Vec<VerifiedExample>>,
    notices: Option<RedisLink>,
}

impl std::fmt::Debug for TenantCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantCache")
            .field("enabled", &self.enabled)
            .field("epoch", &self.epoch.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

fn map<K, T>(ttl: Duration) -> Map<K, T>
where
    K: Hash + Eq + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    moka::sync::Cache::builder().time_to_live(ttl.max(Duration::from_millis(1))).max_capacity(100_000).build()
}

impl TenantCache {
    pub fn new(settings: &TenantCacheSettings, redis: Option<redis::Client>) -> Self {
        let ttl = Duration::from_secs(settings.ttl_seconds.into());
        Self {
            enabled: settings.ttl_seconds > 0,
            epoch: AtomicU64::new(0),
            api_keys: map(ttl),
            members: map(ttl),
            datasources: map(ttl),
            org_settings: map(ttl),
            examples: map(ttl),
            notices: redis.map(|client| RedisLink::new(client, "tenant cache notices")),
        }
    }

    /// Reads through `map`: the entry if it was read under the current epoch, else
    /// whatever `load` finds (kept only when it is something).
    async fn read<K, T, E, F>(&self, map: &Map<K, T>, key: K, load: F) -> Result<Option<Cached<T>>, E>
    where
        K: Hash + Eq + Send + Sync + 'static,
        T: Send + Sync + 'static,
        F: Future<Output = Result<Option<T>, E>>,
    {
        let epoch = self.epoch.load(Ordering::Acquire);
        if self.enabled
            && let Some(entry) = map.get(&key)
            && entry.epoch == epoch
        {
            return Ok(Some(Cached { value: entry.value, fresh: false }));
        }
        let Some(value) = load.await? else { return Ok(None) };
        let value = Arc::new(value);
        if self.enabled {
            map.insert(key, Entry { epoch, value: value.clone() });
        }
        Ok(Some(Cached { value, fresh: true }))
    }

    pub async fn api_key<E>(
        &self,
        id: Uuid,
        load: impl Future<Output = Result<Option<ApiKeyRecord>, E>>,
    ) -> Result<Option<Cached<ApiKeyRecord>>, E> {
        self.read(&self.api_keys, id, load).await
    }

    pub async fn member<E>(
        &self,
        org_id: Uuid,
        user_id: Uuid,
        load: impl Future<Output = Result<Option<MemberRecord>, E>>,
    ) -> Result<Option<Arc<MemberRecord>>, E> {
        Ok(self.read(&self.members, (org_id, user_id), load).await?.map(|c| c.value))
    }

    pub async fn datasource<E>(
        &self,
        org_id: Uuid,
        id: Uuid,
        load: impl Future<Output = Result<Option<DataSourceRecord>, E>>,
    ) -> Result<Option<Arc<DataSourceRecord>>, E> {
        Ok(self.read(&self.datasources, (org_id, id), load).await?.map(|c| c.value))
    }

    pub async fn org_settings<E>(
        &self,
        org_id: Uuid,
        load: impl Future<Output = Result<serde_json::Value, E>>,
    ) -> Result<Arc<serde_json::Value>, E> {
        let cached = self.read(&self.org_settings, org_id, async { load.await.map(Some) }).await?;
        Ok(cached.map(|c| c.value).unwrap_or_default())
    }

    pub async fn examples<E>(
        &self,
        org_id: Uuid,
        datasource_id: Uuid,
        load: impl Future<Output = Result<Vec<VerifiedExample>, E>>,
    ) -> Result<Arc<Vec<VerifiedExample>>, E> {
        let cached = self.read(&self.examples, (org_id, datasource_id), async { load.await.map(Some) }).await?;
        Ok(cached.map(|c| c.value).unwrap_or_default())
    }

    /// Moves on with every change, so what was derived from cached facts (a remembered
    /// answer built from the verified examples) can carry it in its key.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Retires everything read so far, here and (through Redis) on every other instance.
    /// Call it after a change to keys, members, data sources or organisation settings
    /// commits and before the response leaves, so the caller's next request sees it.
    pub async fn changed(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Some(notices) = &self.notices {
            let mut command = redis::cmd("PUBLISH");
            command.arg(CHANNEL).arg(1);
            notices.query::<i64>(&command, "change notice").await;
        }
    }

    /// Listens for other instances' change notices until the task is aborted. Each
    /// (re)subscription also retires everything, since notices sent while this instance was
    /// not listening are lost.
    pub async fn follow_changes(self: Arc<Self>) {
        let Some(notices) = &self.notices else { return };
        loop {
            match notices.client().get_async_pubsub().await {
                Ok(mut pubsub) => match pubsub.subscribe(CHANNEL).await {
                    Ok(()) => {
                        self.epoch.fetch_add(1, Ordering::AcqRel);
                        let mut messages = pubsub.on_message();
                        while messages.next().await.is_some() {
                            self.epoch.fetch_add(1, Ordering::AcqRel);
                        }
                        tracing::warn!("lost the tenant cache's change notices; subscribing again");
                    }
                    Err(error) => tracing::warn!(%error, "could not subscribe to the tenant cache's change notices"),
                },
                Err(error) => tracing::debug!(%error, "Redis unreachable for the tenant cache's change notices"),
            }
            // Whatever was read while not listening may be stale.
            self.epoch.fetch_add(1, Ordering::AcqRel);
            tokio::time::sleep(RESUBSCRIBE_EVERY).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(ttl_seconds: u32) -> TenantCache {
        TenantCache::new(&TenantCacheSettings { ttl_seconds }, None)
    }

    async fn settings(cache: &TenantCache, value: i64) -> (i64, bool) {
        let loaded = std::sync::atomic::AtomicBool::new(false);
        let got = cache
            .org_settings(Uuid::nil(), async {
                loaded.store(true, Ordering::Relaxed);
                Ok::<_, ()>(serde_json::json!(value))
            })
            .await
            .unwrap();
        (got.as_i64().unwrap(), loaded.load(Ordering::Relaxed))
    }

    #[tokio::test]
    async fn entries_are_served_until_a_change_retires_them() {
        let cache = cache(60);
        assert_eq!(settings(&cache, 1).await, (1, true));
        assert_eq!(settings(&cache, 2).await, (1, false));
        cache.changed().await;
        assert_eq!(settings(&cache, 3).await, (3, true));
    }

    #[tokio::test]
    async fn a_read_that_overlaps_a_change_is_not_served_afterwards() {
        let cache = cache(60);
        let read = cache.org_settings(Uuid::nil(), async {
            // The change commits and is announced while this read is in flight.
            cache.changed().await;
            Ok::<_, ()>(serde_json::json!("old"))
        });
        assert_eq!(*read.await.unwrap(), serde_json::json!("old"));
        assert_eq!(settings(&cache, 7).await, (7, true));
    }

    #[tokio::test]
    async fn a_ttl_of_zero_reads_every_time() {
        let cache = cache(0);
        assert_eq!(settings(&cache, 1).await, (1, true));
        assert_eq!(settings(&cache, 2).await, (2, true));
    }
}
