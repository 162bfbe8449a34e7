use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use duckdb::{Connection, InterruptHandle};
use kurobe_connector::{Column, ConnectorError, Limits, QueryResult, ResultBuilder, RowBatch, RowSender, STREAM_BATCH};

use crate::{DuckDbConnector, types};

/// How long an interrupted query may take to hand its thread back.
const INTERRUPT_GRACE: Duration = Duration::from_secs(5);

/// Interrupts the query in DuckDB if the waiting side goes away (timeout, dropped future)
/// before the query finished.
struct InterruptOnDrop {
    handle: Arc<InterruptHandle>,
    armed: bool,
}

impl Drop for InterruptOnDrop {
    fn drop(&mut self) {
        if self.armed {
            self.handle.interrupt();
        }
    }
}

pub(crate) async fn execute(
    connector: &DuckDbConnector,
    sql: &str,
    limits: Limits,
) -> Result<QueryResult, ConnectorError> {
    let started = Instant::now();
    Ok(on_a_slot(connector, sql, limits, None).await?.finish(started.elapsed()))
}

pub(crate) async fn stream(
    connector: &DuckDbConnector,
    sql: &str,
    limits: Limits,
    rows: RowSender,
) -> Result<bool, ConnectorError> {
    Ok(on_a_slot(connector, sql, limits, Some(rows)).await?.truncated())
}

/// Runs the query on a blocking thread holding one of the connector's slots, interrupting
/// DuckDB when the timeout passes or the caller goes away.
async fn on_a_slot(
    connector: &DuckDbConnector,
    sql: &str,
    limits: Limits,
    sender: Option<RowSender>,
) -> Result<ResultBuilder, ConnectorError> {
    // The permit moves into the blocking task: a slot is free only once DuckDB's work on
    // that thread has ended, not merely when the caller stopped waiting.
    let slot =
        connector.slots().acquire_owned().await.map_err(|_| ConnectorError::Internal("DuckDB is closing".into()))?;
    let connection = connector.connection()?;
    let mut guard = InterruptOnDrop { handle: connection.interrupt_handle(), armed: true };
    let sql = sql.to_owned();
    let mut task = tokio::task::spawn_blocking(move || {
        let result = run(&connection, &sql, limits, sender.as_ref());
        drop(slot);
        result
    });
    match tokio::time::timeout(limits.timeout, &mut task).await {
        Ok(joined) => {
            guard.armed = false;
            joined.map_err(|e| ConnectorError::Internal(format!("DuckDB task failed: {e}")))?
        }
        Err(_) => {
            // Interrupt, then wait for DuckDB to give the thread back, so a timed-out query
            // leaves nothing running behind the error.
            guard.handle.interrupt();
            guard.armed = false;
            if tokio::time::timeout(INTERRUPT_GRACE, task).await.is_err() {
                tracing::warn!("a DuckDB query did not stop within {INTERRUPT_GRACE:?} of its interruption");
            }
            Err(ConnectorError::Timeout(limits.timeout))
        }
    }
}

/// Reads the rows into a builder; with a sender, hands them on in batches as they come.
fn run(
    connection: &Connection,
    sql: &str,
    limits: Limits,
    sender: Option<&RowSender>,
) -> Result<ResultBuilder, ConnectorError> {
    let query_error = |e: duckdb::Error| ConnectorError::Query(e.to_string());
    let mut statement = connection.prepare(sql).map_err(query_error)?;
    let mut rows = statement.query([]).map_err(query_error)?;
    let columns: Vec<Column> = match rows.as_ref() {
        Some(statement) => (0..statement.column_count())
            .map(|i| {
                let logical = statement.column_logical_type(i);
                Column {
                    name: statement.column_name(i).cloned().unwrap_or_default(),
                    data_type: types::data_type(&logical),
                    native_type: types::native_name(&logical),
                }
            })
            .collect(),
        None => Vec::new(),
    };
    // A receiver that went away means the export was abandoned: stop reading.
    let send = |batch| sender.is_none_or(|sender| sender.blocking_send(batch).is_ok());
    if !send(RowBatch::Columns(columns.clone())) {
        return Ok(ResultBuilder::new(columns, limits));
    }
    let mut builder = ResultBuilder::new(columns, limits);
    while let Some(row) = rows.next().map_err(query_error)? {
        let values = (0..builder.columns().len())
            .map(|i| {
                let value: duckdb::types::Value = row.get(i).map_err(query_error)?;
                Ok(types::value(value, &builder.columns()[i].data_type))
            })
            .collect::<Result<Vec<_>, ConnectorError>>()?;
        if !builder.push(values) {
            break;
        }
        if sender.is_some()
            && let Some(batch) = builder.take_batch(STREAM_BATCH)
            && !send(RowBatch::Rows(batch))
        {
            break;
        }
    }
    if sender.is_some()
        && let Some(batch) = builder.take_batch(1)
    {
        send(RowBatch::Rows(batch));
    }
    Ok(builder)
}
