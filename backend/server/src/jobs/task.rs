//! One job as underway runs it: a tick fans out into runs, and each attempt of a run is
//! recorded (start, end, error) in `job_runs` and its final outcome in the audit log.

use jiff::{Span, ToSpan as _};
use kurobe_api::ErrorCode;
use kurobe_core::AuditOutcome;
use kurobe_store::{Context, JobRunRecord, JobRunState, NewAuditEntry};
use sqlx::{Postgres, Transaction};
use underway::{
    Task,
    task::{Error as TaskError, Result as TaskResult, RetryPolicy},
};
use uuid::Uuid;

use super::{AGENT, JobName, Step, Trigger, audit_retention, cache_warm, schema_refresh};
use crate::{http::ApiError, state::AppState};

/// Why an attempt failed: a message the organisation's administrators may read (an
/// internal cause is logged instead, as for HTTP responses), and the error code behind it.
#[derive(Debug)]
pub(crate) struct JobError {
    pub message: String,
    pub code: Option<ErrorCode>,
}

impl From<ApiError> for JobError {
    fn from(error: ApiError) -> Self {
        if matches!(error.code(), ErrorCode::Internal | ErrorCode::ServiceUnavailable) {
            tracing::error!(error = ?error, "a job run failed");
        }
        JobError { message: error.detail().message, code: Some(error.code()) }
    }
}

impl JobError {
    /// One error for the items of a run that failed (`name`, why), out of `total` `items`;
    /// its code is the first failure's.
    pub fn of_many(items: &str, total: usize, failures: &[(&str, JobError)]) -> Self {
        let each: Vec<String> = failures.iter().map(|(name, error)| format!("{name}: {}", error.message)).collect();
        JobError {
            message: format!("{} of {total} {items} failed: {}", failures.len(), each.join("; ")),
            code: failures.first().and_then(|(_, error)| error.code),
        }
    }
}

impl From<kurobe_store::StoreError> for JobError {
    fn from(error: kurobe_store::StoreError) -> Self {
        ApiError::from(error).into()
    }
}

/// The task underway stores and runs; built for each enqueue from the state at hand, so the
/// queues (kept in the state) never hold the state themselves.
#[derive(Debug, Clone)]
pub(crate) struct JobTask {
    pub state: AppState,
    pub job: JobName,
}

impl Task for JobTask {
    type Input = Step;
    type Output = ();

    async fn execute(&self, _queue_tx: Transaction<'_, Postgres>, step: Step) -> TaskResult<()> {
        match step {
            Step::Tick => self.fan_out().await.map_err(|e| TaskError::Retryable(e.message)),
            Step::Run { run_id, org_id } => self.attempt(run_id, org_id).await,
        }
    }

    fn retry_policy(&self) -> RetryPolicy {
        let attempts = i32::try_from(self.state.jobs.max_attempts).unwrap_or(i32::MAX);
        RetryPolicy::builder().max_attempts(attempts).initial_interval_ms(1_000).max_interval_ms(60_000).build()
    }

    /// Past our own limit on an attempt, so the attempt's end is always ours to record.
    fn timeout(&self) -> Span {
        let seconds = i64::try_from(self.state.jobs.timeout.as_secs()).unwrap_or(i64::MAX / 2);
        seconds.saturating_add(60).seconds()
    }
}

impl JobTask {
    /// The schedule fired: one run per organisation with data sources, or one system run.
    async fn fan_out(&self) -> Result<(), JobError> {
        let state = &self.state;
        let orgs = match self.job.scope() {
            kurobe_api::jobs::JobScope::System => vec![None],
            kurobe_api::jobs::JobScope::Organisation => {
                let mut tx = state.store.begin(&Context::none()).await?;
                let orgs = tx.organisations_with_data_sources().await?;
                tx.commit().await?;
                orgs.into_iter().map(Some).collect()
            }
        };
        for org_id in orgs {
            state.jobs.enqueue(state, self.job, org_id, Trigger::Schedule, None, None).await?;
        }
        Ok(())
    }

    /// One attempt of a recorded run. The error underway stores names the run only: the
    /// message, which may quote a tenant's warehouse, stays in the tenant's `job_runs` row.
    async fn attempt(&self, run_id: Uuid, org_id: Option<Uuid>) -> TaskResult<()> {
        let state = &self.state;
        let context = org_id.map_or_else(Context::none, Context::org);
        let retryable = |_| TaskError::Retryable(format!("run {run_id}: the platform database is unavailable"));
        let mut tx = state.store.begin(&context).await.map_err(retryable)?;
        let run = tx.start_job_run(run_id).await.map_err(retryable)?;
        tx.commit().await.map_err(retryable)?;
        let Some(run) = run else {
            tracing::warn!(run = %run_id, job = self.job.as_str(), "a queued job run has no record; skipped");
            return Ok(());
        };
        let outcome = match tokio::time::timeout(state.jobs.timeout, self.work(run_id, org_id)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(JobError {
                message: format!("the run took longer than {} s", state.jobs.timeout.as_secs()),
                code: None,
            }),
        };
        let last = run.attempts >= run.max_attempts;
        let finished = self.finish(&run, context, &outcome, last).await;
        if let Err(err) = finished {
            tracing::error!(error = %err, run = %run_id, "could not record the end of a job run");
            return Err(TaskError::Retryable(format!("run {run_id}: its end could not be recorded")));
        }
        match outcome {
            Ok(_) => Ok(()),
            Err(error) => {
                tracing::warn!(run = %run_id, job = self.job.as_str(), attempt = run.attempts, error = %error.message,
                    "a job run failed");
                let message = format!("run {run_id} failed (attempt {} of {})", run.attempts, run.max_attempts);
                Err(if last { TaskError::Fatal(message) } else { TaskError::Retryable(message) })
            }
        }
    }

    async fn work(&self, run_id: Uuid, org_id: Option<Uuid>) -> Result<serde_json::Value, JobError> {
        let state = &self.state;
        match (self.job, org_id) {
            (JobName::SchemaRefresh, Some(org)) => schema_refresh::run(state, org).await,
            (JobName::CacheWarm, Some(org)) => cache_warm::run(state, org, run_id).await,
            (JobName::AuditRetention, None) => audit_retention::run(state).await,
            (job, _) => Err(JobError {
                message: format!(
                    "{} does not run {}",
                    job.as_str(),
                    if org_id.is_some() { "per organisation" } else { "for the server" }
                ),
                code: None,
            }),
        }
    }

    /// Records the attempt's end and, once the run is over, its audit row, in one
    /// transaction; then forgets this job's runs that ended long ago.
    async fn finish(
        &self,
        run: &JobRunRecord,
        context: Context,
        outcome: &Result<serde_json::Value, JobError>,
        last: bool,
    ) -> Result<(), kurobe_store::StoreError> {
        let state = &self.state;
        let mut tx = state.store.begin(&context).await?;
        let (run_state, audit) = match outcome {
            Ok(result) => {
                tx.finish_job_run(run.id, JobRunState::Succeeded, None, Some(result)).await?;
                (JobRunState::Succeeded, Some((AuditOutcome::Success, None, serde_json::json!({ "result": result }))))
            }
            Err(error) => {
                let run_state = if last { JobRunState::Failed } else { JobRunState::Retrying };
                tx.finish_job_run(run.id, run_state, Some(&error.message), None).await?;
                let details = serde_json::json!({ "error": error.message });
                (run_state, last.then_some((AuditOutcome::Error, error.code, details)))
            }
        };
        if let Some((outcome, code, mut details)) = audit {
            details["trigger"] = run.trigger.clone().into();
            details["attempts"] = run.attempts.into();
            tx.append_audit(&NewAuditEntry {
                org_id: run.org_id,
                actor_user_id: run.requested_by,
                actor_api_key_id: None,
                action: format!("job.{}", self.job.as_str()),
                target: Some(run.id.to_string()),
                outcome,
                error_code: code.map(|c| c.as_str().to_owned()),
                ip: None,
                user_agent: Some(AGENT.to_owned()),
                request_id: Some(run.id.to_string()),
                details,
            })
            .await?;
        }
        if matches!(run_state, JobRunState::Succeeded | JobRunState::Failed) {
            tx.prune_job_runs(self.job.as_str(), chrono::Utc::now() - state.jobs.keep_runs).await?;
        }
        tx.commit().await
    }
}
