//! Background jobs for administrators: what is scheduled, the organisation's runs, running
//! a job now and retrying a run that failed. System jobs (audit retention) are listed with
//! their schedule, but run by the server or the operator (`kurobe audit purge`), not by a
//! tenant, and their runs are nobody's to read here.

use axum::{extract::State, http::StatusCode};
use kurobe_api::{
    ErrorBody,
    jobs::{JobRun, JobRunState, JobScope, JobTrigger, JobsStatus},
};
use kurobe_core::{Permission, Principal};
use kurobe_store::{Context, JobRunRecord};
use uuid::Uuid;

use super::{ApiError, Auth, Json, Path, require};
use crate::{
    audit::Audit,
    jobs::{JobName, Trigger},
    state::AppState,
};

/// How many of the organisation's runs the listing shows.
const RUNS_LISTED: i64 = 100;

fn run(record: JobRunRecord) -> JobRun {
    JobRun {
        id: record.id,
        job: record.job,
        trigger: match record.trigger.as_str() {
            "schedule" => JobTrigger::Schedule,
            "retry" => JobTrigger::Retry,
            _ => JobTrigger::Manual,
        },
        state: match record.state {
            kurobe_store::JobRunState::Queued => JobRunState::Queued,
            kurobe_store::JobRunState::Running => JobRunState::Running,
            kurobe_store::JobRunState::Retrying => JobRunState::Retrying,
            kurobe_store::JobRunState::Succeeded => JobRunState::Succeeded,
            kurobe_store::JobRunState::Failed => JobRunState::Failed,
        },
        attempts: record.attempts.try_into().unwrap_or_default(),
        max_attempts: record.max_attempts.try_into().unwrap_or_default(),
        last_error: record.last_error,
        result: record.result,
        requested_by: record.requested_by,
        retry_of: record.retry_of,
        created_at: record.created_at,
        started_at: record.started_at,
        finished_at: record.finished_at,
    }
}

#[utoipa::path(get, path = "/v1/admin/jobs", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, body = JobsStatus),
    (status = 403, body = ErrorBody),
))]
pub async fn list(State(state): State<AppState>, Auth(principal): Auth) -> Result<Json<JobsStatus>, ApiError> {
    require(&principal, Permission::EnginesManage)?;
    let mut tx = state.store.begin(&Context::org(principal.org_id)).await?;
    let runs = tx.job_runs(RUNS_LISTED).await?;
    tx.commit().await?;
    Ok(Json(JobsStatus {
        runner: state.jobs.enabled(),
        jobs: state.jobs.status(),
        runs: runs.into_iter().map(run).collect(),
    }))
}

/// Queues a run for `principal`'s organisation, the request audited with the run's record.
async fn queue(
    state: &AppState,
    audit: &Audit,
    principal: &Principal,
    job: JobName,
    trigger: Trigger,
    retry_of: Option<Uuid>,
) -> Result<JobRun, ApiError> {
    let record =
        state.jobs.enqueue(state, job, Some(principal.org_id), trigger, Some((audit, principal)), retry_of).await?;
    Ok(run(record))
}

/// Queues a run of the job for the caller's organisation now, whatever its schedule.
#[utoipa::path(post, path = "/v1/admin/jobs/{name}/run", tag = "admin", security(("bearer" = [])),
    params(("name" = String, Path, description = "`schema_refresh` or `cache_warm`")), responses(
    (status = 202, body = JobRun),
    (status = 403, description = "Not an administrator, or a system job", body = ErrorBody),
    (status = 404, description = "No such job", body = ErrorBody),
))]
pub async fn run_now(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<JobRun>), ApiError> {
    audit.action("job.run", Some(name.clone()));
    require(&principal, Permission::EnginesManage)?;
    let job: JobName = name.parse()?;
    if job.scope() == JobScope::System {
        return Err(ApiError::forbidden(format!(
            "{name} is a system job: it runs on its schedule, or by the operator (`kurobe audit purge`)"
        )));
    }
    Ok((StatusCode::ACCEPTED, Json(queue(&state, &audit, &principal, job, Trigger::Manual, None).await?)))
}

/// Queues a new run of a failed run's job; the new run names the one it retries.
#[utoipa::path(post, path = "/v1/admin/jobs/runs/{id}/retry", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 202, body = JobRun),
    (status = 403, body = ErrorBody),
    (status = 404, description = "No such run in this organisation", body = ErrorBody),
    (status = 409, description = "The run has not failed", body = ErrorBody),
))]
pub async fn retry(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Path(id): Path<Uuid>,
) -> Result<(StatusCode, Json<JobRun>), ApiError> {
    audit.action("job.retry", Some(id.to_string()));
    require(&principal, Permission::EnginesManage)?;
    let mut tx = state.store.begin(&Context::org(principal.org_id)).await?;
    let failed = tx.job_run(id).await?.ok_or(ApiError::NotFound("job run"))?;
    tx.commit().await?;
    if failed.state != kurobe_store::JobRunState::Failed {
        return Err(ApiError::conflict(format!(
            "the run is {}; only a failed run can be retried",
            failed.state.as_str()
        )));
    }
    let job: JobName = failed.job.parse()?;
    Ok((StatusCode::ACCEPTED, Json(queue(&state, &audit, &principal, job, Trigger::Retry, Some(id)).await?)))
}
