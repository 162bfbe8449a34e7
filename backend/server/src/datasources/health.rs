use std::time::{Duration, Instant};

use kurobe_api::datasources::ConnectionTest;
use kurobe_store::{Context, DataSourceRecord, StoreError};
use uuid::Uuid;

use crate::state::AppState;

const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to the data source, runs its trivial query, and records the outcome as the
/// source's health. A failure here concerns this source only.
pub async fn check_health(state: &AppState, record: &DataSourceRecord) -> Result<ConnectionTest, StoreError> {
    let started = Instant::now();
    let outcome = async {
        let connector = state.datasources.connector(record, &state.master_keys, &state.settings.connectors).await?;
        match tokio::time::timeout(CHECK_TIMEOUT, connector.test()).await {
            Ok(result) => Ok(result?),
            Err(_) => Err(super::DataSourceError::Invalid(format!("no answer within {CHECK_TIMEOUT:?}"))),
        }
    }
    .await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let test = match outcome {
        Ok(info) => ConnectionTest { ok: true, version: Some(info.version), latency_ms, error: None },
        Err(err) => ConnectionTest { ok: false, version: None, latency_ms, error: Some(err.to_string()) },
    };
    let mut tx = state.store.begin(&Context::org(record.org_id)).await?;
    tx.record_health(record.id, test.error.as_deref(), latency_ms).await?;
    tx.commit().await?;
    Ok(test)
}

/// Checks every data source of every organisation, one after the other, forever.
pub async fn run_health_checks(state: AppState) {
    let interval = Duration::from_secs(state.settings.connectors.health_interval_seconds.max(1));
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(err) = check_every_source(&state).await {
            tracing::warn!(error = %err, "data source health checks could not run");
        }
    }
}

/// One round of checks over every data source of every organisation.
pub async fn check_every_source(state: &AppState) -> Result<(), StoreError> {
    let mut tx = state.store.begin(&Context::none()).await?;
    let sources: Vec<(Uuid, Uuid)> = tx.data_source_index().await?;
    tx.commit().await?;
    for (org_id, id) in sources {
        let mut tx = state.store.begin(&Context::org(org_id)).await?;
        let record = tx.data_source(id).await?;
        tx.commit().await?;
        if let Some(record) = record {
            let test = check_health(state, &record).await?;
            if !test.ok {
                tracing::info!(datasource.id = %id, org.id = %org_id, error = test.error, "data source failing");
            }
        }
    }
    Ok(())
}
