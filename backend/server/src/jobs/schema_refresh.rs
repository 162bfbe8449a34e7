//! Every data source of one organisation introspected again: a new generation each, which
//! retires what the result cache held under the old schema.

use kurobe_store::Context;
use serde_json::json;
use uuid::Uuid;

use super::task::JobError;
use crate::{datasources::schemas, state::AppState};

/// Refreshes each source in turn; one that fails does not stop the others, and the run
/// fails (to be retried) naming every source that failed.
pub(super) async fn run(state: &AppState, org_id: Uuid) -> Result<serde_json::Value, JobError> {
    let mut tx = state.store.begin(&Context::org(org_id)).await?;
    let sources = tx.data_sources().await?;
    tx.commit().await?;
    let mut refreshed = Vec::new();
    let mut failures = Vec::new();
    for record in &sources {
        match schemas::refresh(state, record).await {
            Ok((generation, _)) => refreshed.push(json!({ "datasource_id": record.id, "generation": generation })),
            Err(error) => failures.push((record.name.as_str(), JobError::from(error))),
        }
    }
    if failures.is_empty() {
        return Ok(json!({ "refreshed": refreshed }));
    }
    Err(JobError::of_many("data source(s)", sources.len(), &failures))
}
