use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The background jobs as this server runs them, and the caller's organisation's runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobsStatus {
    /// Whether this server runs job workers and schedules (`jobs.enabled`). Runs asked for
    /// while it does not wait in the queue for a server that does.
    pub runner: bool,
    pub jobs: Vec<JobInfo>,
    /// The organisation's runs, newest first (the last 100).
    pub runs: Vec<JobRun>,
}

/// Whose data a job works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobScope {
    /// One run per organisation, visible to its administrators.
    Organisation,
    /// The server's own work across organisations, run by its schedule or the operator.
    System,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobInfo {
    /// `schema_refresh`, `cache_warm` or `audit_retention`.
    pub name: String,
    pub description: String,
    pub scope: JobScope,
    /// A cron expression with seconds; absent when the job only runs when asked.
    pub schedule: Option<String>,
    pub timezone: String,
    /// False when the job cannot run here; `disabled_reason` says why.
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub next_run_at: Option<DateTime<Utc>>,
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobTrigger {
    Schedule,
    Manual,
    Retry,
}

/// Where a run stands: `retrying` waits for its next attempt, `failed` is final (and may be
/// retried through the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobRunState {
    Queued,
    Running,
    Retrying,
    Succeeded,
    Failed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobRun {
    pub id: Uuid,
    pub job: String,
    pub trigger: JobTrigger,
    pub state: JobRunState,
    pub attempts: u32,
    pub max_attempts: u32,
    /// The error of the last failed attempt.
    pub last_error: Option<String>,
    /// What a successful run did (counts per job).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub result: Option<serde_json::Value>,
    /// The administrator who asked for it, for manual runs and retries.
    pub requested_by: Option<Uuid>,
    /// The failed run this one retries.
    pub retry_of: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}
