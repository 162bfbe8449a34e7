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

/// Everything a request handler may use, cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
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
