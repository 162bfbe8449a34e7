//! Group commit of query records. Every query leaves a history row and an audit row that
//! must commit together before its response leaves. Written one transaction per query,
//! an organisation's queries queue on its audit chain head (the chain's row lock is held
//! from the append to the commit), so a busy organisation could not answer faster than
//! Postgres commits. Here one task collects the records waiting at any moment and writes
//! each organisation's in one transaction; each request still waits for its own record to
//! be committed, so what a response promises holds, and the cost of a commit is shared.

use std::collections::BTreeMap;

use kurobe_store::{Context, NewAuditEntry, NewQuery, Store, StoreError};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// The most records one transaction carries.
const MAX_BATCH: usize = 256;
/// Records waiting beyond this make callers wait before they enqueue.
const QUEUE: usize = 4_096;

/// A query's history row and the audit row that goes with it.
#[derive(Debug)]
pub struct QueryRecord {
    pub org_id: Uuid,
    pub history: NewQuery,
    pub audit: NewAuditEntry,
}

struct Pending {
    record: QueryRecord,
    committed: oneshot::Sender<Result<(), StoreError>>,
}

#[derive(Debug, Clone)]
pub struct RecordWriter {
    queue: mpsc::Sender<Pending>,
}

/// The writer stopped (the server is going down): as good as a closed database.
fn writer_gone() -> StoreError {
    StoreError::Unavailable(sqlx::Error::PoolClosed)
}

impl RecordWriter {
    /// Starts the writing task; it ends when the last handle is dropped.
    pub fn start(store: Store) -> Self {
        let (queue, pending) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, pending));
        Self { queue }
    }

    /// Writes the record, returning once it is committed (or was refused).
    pub async fn write(&self, record: QueryRecord) -> Result<(), StoreError> {
        let (committed, outcome) = oneshot::channel();
        self.queue.send(Pending { record, committed }).await.map_err(|_| writer_gone())?;
        outcome.await.map_err(|_| writer_gone())?
    }
}

async fn run(store: Store, mut pending: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while pending.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut by_org: BTreeMap<Uuid, Vec<Pending>> = BTreeMap::new();
        for item in batch.drain(..) {
            by_org.entry(item.record.org_id).or_default().push(item);
        }
        futures_util::future::join_all(by_org.into_iter().map(|(org_id, group)| write_group(&store, org_id, group)))
            .await;
    }
}

/// Writes one organisation's records together; should that fail, each on its own, so one
/// record the database refuses costs only its own request.
async fn write_group(store: &Store, org_id: Uuid, group: Vec<Pending>) {
    let records: Vec<&QueryRecord> = group.iter().map(|p| &p.record).collect();
    match write(store, org_id, &records).await {
        Ok(()) => {
            for item in group {
                item.committed.send(Ok(())).ok();
            }
        }
        Err(error) if group.len() == 1 => {
            if let Some(item) = group.into_iter().next() {
                item.committed.send(Err(error)).ok();
            }
        }
        Err(error) => {
            tracing::warn!(%error, records = group.len(), "a group of query records failed; writing them one by one");
            for item in group {
                let outcome = write(store, org_id, &[&item.record]).await;
                item.committed.send(outcome).ok();
            }
        }
    }
}

async fn write(store: &Store, org_id: Uuid, records: &[&QueryRecord]) -> Result<(), StoreError> {
    let mut tx = store.begin(&Context::org(org_id)).await?;
    tx.record_queries(&records.iter().map(|r| &r.history).collect::<Vec<_>>()).await?;
    tx.append_audits(&records.iter().map(|r| &r.audit).collect::<Vec<_>>()).await?;
    tx.commit().await
}
