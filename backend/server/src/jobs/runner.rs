//! Working the queues: for each job that can run here, an underway worker (one run at a
//! time) and, when the job has a schedule, its scheduler. Postgres going away ends them
//! with an error; they are started again until the runner is stopped.

use std::time::Duration;

use jiff::ToSpan as _;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use underway::{Scheduler, Worker};

use super::{JobName, Step, task::JobTask};
use crate::state::AppState;

/// How long a failed runner waits before starting again, and a scheduler that found
/// another server's scheduler in charge before trying to take over.
const RESTART: Duration = Duration::from_secs(5);

/// The running workers and schedulers.
#[derive(Debug)]
pub struct Runner {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Runner {
    /// Stops taking runs and waits for those in progress (each up to `jobs.timeout_seconds`).
    /// A run cut short is taken over by the next server, attempts counted.
    pub async fn stop(self) {
        self.stop.cancel();
        if let Err(err) = self.task.await {
            tracing::warn!(error = %err, "the job runner ended badly");
        }
    }
}

/// Starts the jobs of `state` on their own tasks.
pub fn start(state: AppState) -> Runner {
    let stop = CancellationToken::new();
    let task = tokio::spawn(supervise(state, stop.clone()));
    Runner { stop, task }
}

async fn supervise(state: AppState, stop: CancellationToken) {
    while !stop.is_cancelled() {
        if let Err(err) = run_until(&state, &stop).await {
            tracing::warn!(error = format!("{err:#}"), "the job runner stopped; starting it again");
            tokio::select! {
                () = stop.cancelled() => {}
                () = tokio::time::sleep(RESTART) => {}
            }
        }
    }
}

/// Runs every job until `stop`, or until one of them fails.
async fn run_until(state: &AppState, stop: &CancellationToken) -> anyhow::Result<()> {
    let jobs = &state.jobs;
    let queues = jobs.queues().await?;
    let this_round = stop.child_token();
    let mut running = JoinSet::new();
    for job in JobName::ALL {
        let queue = queues.get(&job).cloned().ok_or_else(|| anyhow::anyhow!("no queue for {}", job.as_str()))?;
        let task = JobTask { state: state.clone(), job };
        if jobs.disabled(job).is_some() {
            queue.unschedule(&jobs.pool).await?;
            continue;
        }
        let mut worker = Worker::new(queue.clone(), task.clone());
        worker.set_concurrency_limit(1);
        worker.set_shutdown_token(this_round.child_token());
        let poll = i64::try_from(jobs.poll.as_secs()).unwrap_or(60).seconds();
        running.spawn(async move { worker.run_every(poll).await.map_err(anyhow::Error::from) });
        match jobs.definitions.get(&job).and_then(|d| d.schedule.as_ref()) {
            Some((_, schedule)) => {
                queue.schedule(&jobs.pool, schedule, &Step::Tick).await?;
                let mut scheduler = Scheduler::new(queue, task);
                let token = this_round.child_token();
                scheduler.set_shutdown_token(token.clone());
                running.spawn(async move {
                    // Returns at once while another server's scheduler holds the queue's
                    // lock; try again, to take over if that server goes.
                    while !token.is_cancelled() {
                        scheduler.run().await?;
                        tokio::select! {
                            () = token.cancelled() => {}
                            () = tokio::time::sleep(RESTART) => {}
                        }
                    }
                    Ok::<(), anyhow::Error>(())
                });
            }
            None => queue.unschedule(&jobs.pool).await?,
        }
    }
    // Queued tasks past their time to live (14 days) are deleted; job_runs keeps the record.
    let pool = jobs.pool.clone();
    let token = this_round.child_token();
    running.spawn(async move {
        tokio::select! {
            () = token.cancelled() => Ok(()),
            result = underway::queue::run_deletion(&pool) => result.map_err(anyhow::Error::from),
        }
    });
    let mut outcome = Ok(());
    while let Some(done) = running.join_next().await {
        let result = done.map_err(anyhow::Error::from).and_then(|r| r);
        if let Err(err) = result {
            // One part failing stops the rest; the supervisor starts them all again.
            this_round.cancel();
            if outcome.is_ok() {
                outcome = Err(err);
            }
        } else if !stop.is_cancelled() && !this_round.is_cancelled() {
            this_round.cancel();
            outcome = Err(anyhow::anyhow!("a job worker ended on its own"));
        }
    }
    outcome
}
