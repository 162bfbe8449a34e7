//! The record of background job runs (`job_runs`), and the migrations of the job queue.
//!
//! The queue itself belongs to the `underway` crate (schema `underway`), which the server
//! works through its own pool as `kurobe_app`. What tenants see of it is this table, under
//! row-level security like every other: an organisation's runs in its context, the server's
//! own runs (no organisation) only where no context is set.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{MIGRATOR, Scoped, StoreError};

/// Applies the platform's migrations, then the job queue's (which need the schema and the
/// grants `0006_background_jobs.sql` prepares). Run as the owner role.
pub async fn migrate(owner: &PgPool) -> Result<(), sqlx::Error> {
    MIGRATOR.run(owner).await?;
    underway::run_migrations(owner).await?;
    // The default privileges of the schema reach the crate's own record of its migrations
    // too; the server has no business there.
    sqlx::query("REVOKE ALL ON underway._sqlx_migrations FROM kurobe_app").execute(owner).await?;
    Ok(())
}

/// How a run stands. `Retrying` waits for its next attempt; `Failed` is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobRunState {
    Queued,
    Running,
    Retrying,
    Succeeded,
    Failed,
}

impl JobRunState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobRunState::Queued => "queued",
            JobRunState::Running => "running",
            JobRunState::Retrying => "retrying",
            JobRunState::Succeeded => "succeeded",
            JobRunState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        Ok(match text {
            "queued" => JobRunState::Queued,
            "running" => JobRunState::Running,
            "retrying" => JobRunState::Retrying,
            "succeeded" => JobRunState::Succeeded,
            "failed" => JobRunState::Failed,
            other => return Err(StoreError::Corrupt(format!("unknown job run state `{other}`"))),
        })
    }
}

/// A run about to be queued, in the context's organisation (or none, for the server's own).
#[derive(Debug, Clone)]
pub struct NewJobRun<'a> {
    pub id: Uuid,
    pub job: &'a str,
    /// `schedule`, `manual` or `retry`.
    pub trigger: &'a str,
    pub requested_by: Option<Uuid>,
    pub retry_of: Option<Uuid>,
    pub max_attempts: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JobRunRecord {
    pub id: Uuid,
    pub org_id: Option<Uuid>,
    pub job: String,
    pub trigger: String,
    pub requested_by: Option<Uuid>,
    pub retry_of: Option<Uuid>,
    pub state: JobRunState,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub result: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct JobRunRow {
    id: Uuid,
    org_id: Option<Uuid>,
    job: String,
    trigger: String,
    requested_by: Option<Uuid>,
    retry_of: Option<Uuid>,
    state: String,
    attempts: i32,
    max_attempts: i32,
    last_error: Option<String>,
    result: Option<serde_json::Value>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

impl TryFrom<JobRunRow> for JobRunRecord {
    type Error = StoreError;

    fn try_from(row: JobRunRow) -> Result<Self, StoreError> {
        Ok(JobRunRecord {
            state: JobRunState::parse(&row.state)?,
            id: row.id,
            org_id: row.org_id,
            job: row.job,
            trigger: row.trigger,
            requested_by: row.requested_by,
            retry_of: row.retry_of,
            attempts: row.attempts,
            max_attempts: row.max_attempts,
            last_error: row.last_error,
            result: row.result,
            created_at: row.created_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
        })
    }
}

const RUN_COLUMNS: &str = "id, org_id, job, trigger, requested_by, retry_of, state, attempts, max_attempts, \
                           last_error, result, created_at, started_at, finished_at";

impl Scoped {
    pub async fn insert_job_run(&mut self, run: &NewJobRun<'_>) -> Result<JobRunRecord, StoreError> {
        let row: JobRunRow = sqlx::query_as(&format!(
            "INSERT INTO job_runs (id, org_id, job, trigger, requested_by, retry_of, max_attempts) \
             VALUES ($1, current_org_id(), $2, $3, $4, $5, $6) RETURNING {RUN_COLUMNS}"
        ))
        .bind(run.id)
        .bind(run.job)
        .bind(run.trigger)
        .bind(run.requested_by)
        .bind(run.retry_of)
        .bind(run.max_attempts)
        .fetch_one(&mut *self.tx)
        .await?;
        row.try_into()
    }

    /// Marks the start of an attempt; `None` when the run is not (or no longer) recorded.
    pub async fn start_job_run(&mut self, id: Uuid) -> Result<Option<JobRunRecord>, StoreError> {
        let row: Option<JobRunRow> = sqlx::query_as(&format!(
            "UPDATE job_runs SET state = 'running', attempts = attempts + 1, started_at = now(), finished_at = NULL \
             WHERE id = $1 RETURNING {RUN_COLUMNS}"
        ))
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(TryInto::try_into).transpose()
    }

    /// Records how an attempt ended. A failure keeps the result of nothing and the error.
    pub async fn finish_job_run(
        &mut self,
        id: Uuid,
        state: JobRunState,
        error: Option<&str>,
        result: Option<&serde_json::Value>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE job_runs SET state = $2, last_error = coalesce($3, last_error), result = $4, \
             finished_at = CASE WHEN $2 IN ('succeeded', 'failed') THEN now() END \
             WHERE id = $1",
        )
        .bind(id)
        .bind(state.as_str())
        .bind(error)
        .bind(result)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn job_run(&mut self, id: Uuid) -> Result<Option<JobRunRecord>, StoreError> {
        let row: Option<JobRunRow> = sqlx::query_as(&format!("SELECT {RUN_COLUMNS} FROM job_runs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    /// The context's runs, newest first.
    pub async fn job_runs(&mut self, limit: i64) -> Result<Vec<JobRunRecord>, StoreError> {
        let rows: Vec<JobRunRow> = sqlx::query_as(&format!(
            "SELECT {RUN_COLUMNS} FROM job_runs WHERE org_id IS NOT DISTINCT FROM current_org_id() \
             ORDER BY created_at DESC, id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Forgets the context's finished runs of `job` that ended before `before`.
    pub async fn prune_job_runs(&mut self, job: &str, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM job_runs WHERE job = $1 AND finished_at < $2 \
             AND org_id IS NOT DISTINCT FROM current_org_id()",
        )
        .bind(job)
        .bind(before)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected())
    }

    /// The organisations that have a data source: the ones whose jobs have work to do.
    pub async fn organisations_with_data_sources(&mut self) -> Result<Vec<Uuid>, StoreError> {
        Ok(sqlx::query_scalar("SELECT DISTINCT org_id FROM data_source_index ORDER BY org_id")
            .fetch_all(&mut *self.tx)
            .await?)
    }
}
