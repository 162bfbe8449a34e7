//! The audit log's retention: rows older than `jobs.audit_retention_days` purged as the
//! owner role, each chain left with a checkpoint it still verifies from.

use serde_json::json;

use super::{AGENT, task::JobError};
use crate::{audit_chain, state::AppState};

/// A system run: its error is read by the operator (logs, `job_runs` as the owner), never by
/// a tenant, so it keeps the whole cause.
pub(super) async fn run(state: &AppState) -> Result<serde_json::Value, JobError> {
    let jobs = &state.jobs;
    let maintenance = jobs.retention.as_ref().ok_or_else(|| JobError {
        message: "audit retention is off: database.migration_url is not set".into(),
        code: None,
    })?;
    let report = audit_chain::purge(maintenance, jobs.retention_days, AGENT)
        .await
        .map_err(|error| JobError { message: format!("{error:#}"), code: None })?;
    Ok(json!({ "cutoff": report.cutoff, "rows": report.rows(), "chains": report.chains.len() }))
}
