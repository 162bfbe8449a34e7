//! Background jobs on a durable queue: the `underway` crate's tables in our database
//! (`migrations/0006_background_jobs.sql` prepares them), worked as `kurobe_app`.
//!
//! Each job has a queue and, when it has a schedule, underway's cron scheduler (one per
//! queue across every server, by advisory lock). A firing enqueues a *tick*, which fans out
//! into one *run* per organisation (or one system run). Every run is recorded in `job_runs`
//! under RLS before it is queued: the admin API reads that record, never the queue, so an
//! organisation sees its runs only, and the queue holds ids, not tenant data. Underway
//! retries a failed attempt with backoff and takes over a run whose server died; a run that
//! failed for good is retried through the API as a new run.

mod audit_retention;
mod cache_warm;
mod runner;
mod schema_refresh;
mod task;

use std::{collections::BTreeMap, str::FromStr, sync::Arc, time::Duration};

use kurobe_api::jobs::{JobInfo, JobScope};
use kurobe_core::Principal;
use kurobe_store::{AuditMaintenance, Context, JobRunRecord, JobRunState, NewJobRun};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, postgres::PgConnectOptions};
use underway::{Queue, ZonedSchedule};
use uuid::Uuid;

pub use self::runner::{Runner, start};
use self::task::JobTask;
use crate::{
    audit::{Actor, Audit},
    http::ApiError,
    settings::Settings,
    state::AppState,
};

/// The user agent of the audit rows jobs write.
const AGENT: &str = "kurobe-jobs";

/// Connections of the queue's own pool: each job's worker listens on two, its scheduler
/// holds one (its lock) and listens on another, and a run holds one while it works.
const QUEUE_CONNECTIONS: u32 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JobName {
    SchemaRefresh,
    CacheWarm,
    AuditRetention,
}

impl JobName {
    pub const ALL: [JobName; 3] = [JobName::SchemaRefresh, JobName::CacheWarm, JobName::AuditRetention];

    pub fn as_str(self) -> &'static str {
        match self {
            JobName::SchemaRefresh => "schema_refresh",
            JobName::CacheWarm => "cache_warm",
            JobName::AuditRetention => "audit_retention",
        }
    }

    fn description(self) -> &'static str {
        match self {
            JobName::SchemaRefresh => "Introspects every data source again, which moves its schema generation on.",
            JobName::CacheWarm => {
                "Re-runs pinned saved questions as the members who pinned them, so the next ask is a cache hit."
            }
            JobName::AuditRetention => {
                "Purges audit rows older than the retention period, leaving every chain verifiable."
            }
        }
    }

    /// System jobs work across organisations; their runs belong to none.
    pub fn scope(self) -> JobScope {
        match self {
            JobName::AuditRetention => JobScope::System,
            JobName::SchemaRefresh | JobName::CacheWarm => JobScope::Organisation,
        }
    }

    fn queue_name(self) -> String {
        format!("kurobe.{}", self.as_str())
    }
}

impl FromStr for JobName {
    type Err = ApiError;

    fn from_str(name: &str) -> Result<Self, ApiError> {
        JobName::ALL.into_iter().find(|job| job.as_str() == name).ok_or(ApiError::NotFound("job"))
    }
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Manual,
    Retry,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Manual => "manual",
            Trigger::Retry => "retry",
        }
    }
}

/// The input of a queued task: ids only.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub(crate) enum Step {
    /// The schedule fired: queue this job's runs.
    Tick,
    /// One recorded run, for an organisation or (with none) for the server.
    Run { run_id: Uuid, org_id: Option<Uuid> },
}

/// One job as this server is configured to run it.
#[derive(Debug)]
struct Definition {
    schedule: Option<(String, ZonedSchedule)>,
    disabled: Option<String>,
}

/// The jobs' configuration and the door to their queues, shared with the HTTP handlers.
#[derive(Debug)]
pub struct Jobs {
    enabled: bool,
    timezone: String,
    max_attempts: u32,
    timeout: Duration,
    poll: Duration,
    keep_runs: chrono::Duration,
    retention_days: u32,
    definitions: BTreeMap<JobName, Definition>,
    retention: Option<AuditMaintenance>,
    /// Underway's pool, as the server role; connected lazily like the store.
    pool: PgPool,
    queues: tokio::sync::OnceCell<BTreeMap<JobName, Arc<Queue<JobTask>>>>,
}

impl Jobs {
    /// Checks the schedules and prepares the queues' pool; nothing connects yet.
    pub fn new(settings: &Settings, app_options: PgConnectOptions) -> anyhow::Result<Self> {
        let jobs = &settings.jobs;
        let schedule = |key: &str, cron: &str| -> anyhow::Result<Option<(String, ZonedSchedule)>> {
            let cron = cron.trim();
            if cron.is_empty() {
                return Ok(None);
            }
            let parsed = ZonedSchedule::new(cron, &jobs.timezone).map_err(|e| {
                anyhow::anyhow!(
                    "jobs.{key} `{cron}` or jobs.timezone `{}` is invalid ({e}); schedules are cron \
                     expressions with seconds, such as `0 0 3 * * *`, and time zones IANA names",
                    jobs.timezone
                )
            })?;
            Ok(Some((cron.to_owned(), parsed)))
        };
        let retention = match (&settings.database.migration_url, jobs.audit_retention_days) {
            (_, 0) => Err("jobs.audit_retention_days is 0: every audit row is kept".to_owned()),
            (None, _) => Err("database.migration_url is not set: purging needs the owner role".to_owned()),
            (Some(_), _) => Ok(crate::audit_chain::maintenance(settings)?),
        };
        let definitions = BTreeMap::from([
            (
                JobName::SchemaRefresh,
                Definition {
                    schedule: schedule("schema_refresh_schedule", &jobs.schema_refresh_schedule)?,
                    disabled: None,
                },
            ),
            (
                JobName::CacheWarm,
                Definition { schedule: schedule("cache_warm_schedule", &jobs.cache_warm_schedule)?, disabled: None },
            ),
            (
                JobName::AuditRetention,
                Definition {
                    schedule: schedule("audit_retention_schedule", &jobs.audit_retention_schedule)?,
                    disabled: retention.as_ref().err().cloned(),
                },
            ),
        ]);
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(QUEUE_CONNECTIONS)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(5))
            .idle_timeout(Duration::from_secs(300))
            .connect_lazy_with(app_options);
        Ok(Jobs {
            enabled: jobs.enabled,
            timezone: jobs.timezone.clone(),
            max_attempts: jobs.max_attempts.max(1),
            timeout: Duration::from_secs(jobs.timeout_seconds.max(1)),
            poll: Duration::from_secs(jobs.poll_seconds.max(1)),
            keep_runs: chrono::Duration::days(i64::from(jobs.keep_runs_days)),
            retention_days: jobs.audit_retention_days,
            definitions,
            retention: retention.ok(),
            pool,
            queues: tokio::sync::OnceCell::new(),
        })
    }

    /// Whether this server runs the workers and schedules.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Every job, with its schedule, whether it can run, and when it fires next.
    pub fn status(&self) -> Vec<JobInfo> {
        let now = jiff::Timestamp::now();
        self.definitions
            .iter()
            .map(|(job, d)| JobInfo {
                name: job.as_str().to_owned(),
                description: job.description().to_owned(),
                scope: job.scope(),
                schedule: d.schedule.as_ref().map(|(text, _)| text.clone()),
                timezone: self.timezone.clone(),
                enabled: d.disabled.is_none(),
                disabled_reason: d.disabled.clone(),
                next_run_at: d
                    .schedule
                    .as_ref()
                    .filter(|_| self.enabled && d.disabled.is_none())
                    .and_then(|(_, s)| s.iter().find(|t| t.timestamp() > now))
                    .and_then(|t| chrono::DateTime::from_timestamp_millis(t.timestamp().as_millisecond())),
            })
            .collect()
    }

    /// Why `job` cannot run here, if it cannot (`new` defines every job).
    fn disabled(&self, job: JobName) -> Option<&str> {
        self.definitions.get(&job).and_then(|d| d.disabled.as_deref())
    }

    /// The queues, created in the database on first use.
    async fn queues(&self) -> Result<&BTreeMap<JobName, Arc<Queue<JobTask>>>, ApiError> {
        self.queues
            .get_or_try_init(|| async {
                let mut queues = BTreeMap::new();
                for job in JobName::ALL {
                    let queue = Queue::builder().name(job.queue_name()).pool(self.pool.clone()).build().await;
                    queues.insert(job, Arc::new(queue.map_err(queue_error)?));
                }
                Ok(queues)
            })
            .await
    }

    async fn queue(&self, job: JobName) -> Result<Arc<Queue<JobTask>>, ApiError> {
        self.queues().await?.get(&job).cloned().ok_or(ApiError::NotFound("job"))
    }

    /// Records a run of `job` for `org_id` (none: a system run) and queues it. A run an
    /// administrator asked for is audited as `requested_by` in the record's transaction.
    pub async fn enqueue(
        &self,
        state: &AppState,
        job: JobName,
        org_id: Option<Uuid>,
        trigger: Trigger,
        requested_by: Option<(&Audit, &Principal)>,
        retry_of: Option<Uuid>,
    ) -> Result<JobRunRecord, ApiError> {
        if let Some(reason) = self.disabled(job) {
            return Err(ApiError::conflict(format!("{} is off: {reason}", job.as_str())));
        }
        let queue = self.queue(job).await?;
        let context = org_id.map_or_else(Context::none, Context::org);
        let new = NewJobRun {
            id: Uuid::now_v7(),
            job: job.as_str(),
            trigger: trigger.as_str(),
            requested_by: requested_by.map(|(_, principal)| principal.user_id),
            retry_of,
            max_attempts: i32::try_from(self.max_attempts).unwrap_or(i32::MAX),
        };
        let mut tx = state.store.begin(&context).await?;
        let run = tx.insert_job_run(&new).await?;
        if let Some((audit, principal)) = requested_by {
            let details = serde_json::json!({ "job": job.as_str(), "run_id": run.id, "retry_of": retry_of });
            audit.success(&mut tx, Actor::from(principal), details).await?;
        }
        tx.commit().await?;
        // The record commits first so a worker always finds it; a queue that refuses the
        // task leaves the record failed rather than queued forever.
        let task = JobTask { state: state.clone(), job };
        if let Err(err) = queue.enqueue(&self.pool, &task, &Step::Run { run_id: run.id, org_id }).await {
            let mut tx = state.store.begin(&context).await?;
            tx.finish_job_run(run.id, JobRunState::Failed, Some("the run could not be queued"), None).await?;
            tx.commit().await?;
            return Err(queue_error(err));
        }
        Ok(run)
    }
}

/// The queue's failures in the API's words: an unreachable database is a 503 like the
/// store's, anything else internal.
fn queue_error(err: underway::queue::Error) -> ApiError {
    match err {
        underway::queue::Error::Database(err) => kurobe_store::StoreError::from(err).into(),
        other => ApiError::Internal(anyhow::Error::new(other).context("the job queue failed")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs(edit: impl FnOnce(&mut Settings)) -> anyhow::Result<Jobs> {
        let mut settings = Settings::default();
        edit(&mut settings);
        Jobs::new(&settings, PgConnectOptions::new())
    }

    #[tokio::test]
    async fn schedules_are_checked_and_retention_needs_the_owner_role() {
        let error = jobs(|s| s.jobs.cache_warm_schedule = "every five minutes".into()).err().map(|e| e.to_string());
        assert!(error.as_deref().is_some_and(|e| e.contains("jobs.cache_warm_schedule")), "{error:?}");
        assert!(jobs(|s| s.jobs.timezone = "Mars/Olympus".into()).is_err());

        let status = jobs(|s| s.jobs.schema_refresh_schedule = String::new()).unwrap().status();
        let by_name = |name: &str| status.iter().find(|j| j.name == name).cloned().unwrap();
        let refresh = by_name("schema_refresh");
        assert_eq!((refresh.schedule, refresh.next_run_at, refresh.enabled), (None, None, true));
        let warm = by_name("cache_warm");
        assert!(warm.next_run_at.is_some_and(|at| at > chrono::Utc::now()));
        let retention = by_name("audit_retention");
        assert_eq!((retention.enabled, retention.next_run_at), (false, None));
        assert!(retention.disabled_reason.is_some_and(|r| r.contains("database.migration_url")));
    }
}
