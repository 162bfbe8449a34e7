use std::sync::Arc;

use kurobe_connector::{IntrospectOptions, Schema};
use kurobe_store::{Context, DataSourceRecord};

use super::DataSourceError;
use crate::{http::ApiError, state::AppState};

/// Introspects the source now and stores the result under the next generation.
pub async fn refresh(state: &AppState, record: &DataSourceRecord) -> Result<(i64, Arc<Schema>), ApiError> {
    let connector = state.datasources.connector(record, &state.master_keys, &state.settings.connectors).await?;
    let schema = connector.introspect(&IntrospectOptions::default()).await.map_err(DataSourceError::from)?;
    let snapshot = serde_json::to_value(&schema).map_err(|e| ApiError::Internal(e.into()))?;
    let mut tx = state.store.begin(&Context::org(record.org_id)).await?;
    let generation = tx.save_schema(record.id, &snapshot).await?;
    tx.commit().await?;
    // The data source's record carries the generation the ask path reads.
    state.tenants.changed().await;
    let schema = Arc::new(schema);
    state.datasources.remember_schema(record.id, generation, schema.clone());
    Ok((generation, schema))
}

/// The schema as last introspected: from memory, else the stored snapshot, else
/// introspected now.
pub async fn current(state: &AppState, record: &DataSourceRecord) -> Result<(i64, Arc<Schema>), ApiError> {
    if let Some(schema) = state.datasources.schema(record.id, record.schema_generation) {
        return Ok((record.schema_generation, schema));
    }
    let mut tx = state.store.begin(&Context::org(record.org_id)).await?;
    let stored = tx.schema_snapshot(record.id).await?;
    tx.commit().await?;
    match stored {
        Some((generation, snapshot)) => {
            let schema: Schema = serde_json::from_value(snapshot).map_err(|e| ApiError::Internal(e.into()))?;
            let schema = Arc::new(schema);
            state.datasources.remember_schema(record.id, generation, schema.clone());
            Ok((generation, schema))
        }
        None => refresh(state, record).await,
    }
}
