use kurobe_api::datasources::{Credentials, DataSourceConfig, QueryLimits};
use kurobe_store::{DataSourceRecord, NewDataSource, Scoped, StoreError};
use uuid::Uuid;

use super::{check_limits, context_aad, validate_config};
use crate::{accounts::normalise_name, crypto::MasterKeys, http::ApiError, settings::ConnectorSettings};

/// Seals credentials for the row `(org_id, id)`; empty credentials are stored as none.
pub fn seal(
    keys: &MasterKeys,
    org_id: Uuid,
    id: Uuid,
    credentials: &Credentials,
) -> Result<Option<(Vec<u8>, i32)>, ApiError> {
    if credentials.password.is_none() && credentials.token.is_none() {
        return Ok(None);
    }
    let plain = serde_json::to_vec(credentials).map_err(|e| ApiError::Internal(e.into()))?;
    let (sealed, version) = keys.seal(&plain, &context_aad(org_id, id)).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Some((sealed, i32::try_from(version).map_err(|e| ApiError::Internal(e.into()))?)))
}

/// A named-constraint violation on data sources, as the client should hear it.
pub fn name_taken(err: StoreError) -> ApiError {
    match err.constraint() {
        Some("data_sources_org_name_key") => ApiError::conflict("a data source with this name already exists"),
        _ => err.into(),
    }
}

/// A data source about to be created.
#[derive(Debug)]
pub struct NewSource<'a> {
    pub name: &'a str,
    pub config: &'a DataSourceConfig,
    pub credentials: Option<&'a Credentials>,
    pub limits: Option<QueryLimits>,
}

/// Validates and stores a data source in the transaction's organisation, for the API and
/// the command line alike. The caller audits and commits.
pub async fn create(
    tx: &mut Scoped,
    org_id: Uuid,
    created_by: Uuid,
    source: NewSource<'_>,
    keys: &MasterKeys,
    settings: &ConnectorSettings,
) -> Result<DataSourceRecord, ApiError> {
    let name = normalise_name("name", source.name)?;
    validate_config(source.config, source.credentials, settings)?;
    let limits = source.limits.unwrap_or_default();
    check_limits(&limits)?;
    let id = Uuid::new_v4();
    let sealed = source.credentials.map(|c| seal(keys, org_id, id, c)).transpose()?.flatten();
    let config = serde_json::to_value(source.config).map_err(|e| ApiError::Internal(e.into()))?;
    let limits = serde_json::to_value(limits).map_err(|e| ApiError::Internal(e.into()))?;
    tx.create_data_source(NewDataSource {
        id,
        name: &name,
        kind: source.config.kind(),
        config: &config,
        limits: &limits,
        credentials: sealed.as_ref().map(|(c, v)| (c.as_slice(), *v)),
        created_by,
    })
    .await
    .map_err(name_taken)
}
