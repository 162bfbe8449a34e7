use std::sync::Arc;

use kurobe_engines::Engines;
use kurobe_store::Store;

use crate::{
    ask::{cache::ResultCache, group_commit::RecordWriter, known_answers::KnownAnswers},
    auth::jwt::JwtKeys,
    crypto::MasterKeys,
    datasources::DataSources,
    limits::CredentialLimits,
    metrics::Metrics,
    settings::Settings,
    tenant_cache::TenantCache,
};

/// Everything a request handler may use. One `Arc`, because axum clones the state for every
/// extractor and middleware of every request: cloned field by field (a dozen reference counts
/// and the Redis client's strings), that was 3% of a cached ask's CPU.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What `AppState` shares.
#[derive(Debug, Clone)]
pub struct Shared {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub jwt: Arc<JwtKeys>,
    pub master_keys: Arc<MasterKeys>,
    pub redis: Option<redis::Client>,
    pub datasources: Arc<DataSources>,
    pub engines: Arc<Engines>,
    pub cache: Arc<ResultCache>,
    pub metrics: Arc<Metrics>,
    pub limits: Arc<CredentialLimits>,
    pub jobs: Arc<crate::jobs::Jobs>,
    pub tenants: Arc<TenantCache>,
    pub records: RecordWriter,
    pub answers: Arc<KnownAnswers>,
}
