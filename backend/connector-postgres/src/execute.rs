use std::time::{Duration, Instant};

use deadpool_postgres::{Object, PoolError};
use futures_util::TryStreamExt as _;
use kurobe_connector::{Column, ConnectorError, ExecRequest, QueryResult, ResultBuilder, RowBatch, RowSender};
use tokio_postgres::{CancelToken, NoTls, Statement, error::SqlState};

use crate::{PostgresConnector, types};

/// How much later than the server's `statement_timeout` Kurobe stops waiting and cancels
/// itself, for a server too busy to enforce its own timeout.
const CLIENT_MARGIN: Duration = Duration::from_secs(2);

/// A connection with a query in flight. Dropped while armed (a timeout, a client that went
/// away), it cancels the query on the server and keeps the connection out of the pool,
/// since it may still be inside the transaction.
struct Running {
    client: Option<Object>,
    cancel: CancelToken,
    armed: bool,
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let cancel = self.cancel.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(err) = cancel.cancel_query(NoTls).await {
                    tracing::warn!(%err, "could not cancel a Postgres query");
                }
            });
        }
        if let Some(client) = self.client.take() {
            drop(Object::take(client));
        }
    }
}

/// Custom settings only (`prefix.name`), so context can never change the session's role,
/// search path, timeouts or anything else Postgres itself reads.
fn check_setting_name(name: &str) -> Result<(), ConnectorError> {
    let part = |p: &str| {
        !p.is_empty()
            && p.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    match name.split_once('.') {
        Some((prefix, rest)) if part(prefix) && part(rest) => Ok(()),
        _ => Err(ConnectorError::Config(format!("`{name}` is not a custom setting name like `app.user_id`"))),
    }
}

fn pool_error(err: PoolError) -> ConnectorError {
    ConnectorError::Connection(match err {
        // The server's own words (a refused password, a missing database), not "db error".
        PoolError::Backend(e) => e.as_db_error().map_or_else(|| e.to_string(), |db| db.message().to_owned()),
        other => other.to_string(),
    })
}

pub(crate) fn query_error(err: &tokio_postgres::Error, timeout: Duration) -> ConnectorError {
    match err.as_db_error() {
        Some(db) if *db.code() == SqlState::QUERY_CANCELED => ConnectorError::Timeout(timeout),
        Some(db) => {
            let mut message = db.message().to_owned();
            if let Some(hint) = db.hint() {
                message.push_str(&format!(" (hint: {hint})"));
            }
            ConnectorError::Query(message)
        }
        None if err.is_closed() => ConnectorError::Connection("the connection closed".into()),
        None => ConnectorError::Connection(err.to_string()),
    }
}

/// Runs the query once, to completion, and reads its rows. Not through a portal: Postgres
/// plans a query fetched in batches without parallel workers, which made an answer up to
/// 1.8 times slower than the same SQL run directly. The guard's `LIMIT` keeps results small;
/// should a result still pass the row cap, reading stops and the connection is closed rather
/// than drained (see [`Running`]).
pub(crate) async fn execute(
    connector: &PostgresConnector,
    sql: &str,
    request: &ExecRequest,
) -> Result<QueryResult, ConnectorError> {
    let started = Instant::now();
    Ok(with_cancellation(connector, sql, request, None).await?.finish(started.elapsed()))
}

/// Streams through a portal, a batch per round trip, so a reader that stops (an abandoned
/// export, the row cap) stops the server after the batch it is on.
pub(crate) async fn stream(
    connector: &PostgresConnector,
    sql: &str,
    request: &ExecRequest,
    rows: RowSender,
) -> Result<bool, ConnectorError> {
    Ok(with_cancellation(connector, sql, request, Some(&rows)).await?.truncated())
}

/// Runs the query on a pooled connection — at once, or in batches handed to `sender` —
/// cancelling it on the server when the timeout passes or the caller goes away.
async fn with_cancellation(
    connector: &PostgresConnector,
    sql: &str,
    request: &ExecRequest,
    sender: Option<&RowSender>,
) -> Result<ResultBuilder, ConnectorError> {
    for (name, _) in &request.settings {
        check_setting_name(name)?;
    }
    let client = connector.pool.get().await.map_err(pool_error)?;
    let mut running = Running { cancel: client.cancel_token(), client: Some(client), armed: true };
    let outcome = {
        let client = running.client.as_mut().ok_or_else(|| ConnectorError::Internal("no client".into()))?;
        let run = async {
            match sender {
                None => run_once(client, sql, request).await,
                Some(sender) => run_in_batches(client, sql, request, sender).await,
            }
        };
        tokio::time::timeout(request.limits.timeout + CLIENT_MARGIN, run).await
    };
    match outcome {
        // A connection left mid-result (`clean` false) stays armed: dropped, it is cancelled
        // and closed rather than drained.
        Ok(Ok((builder, clean))) => {
            running.armed = !clean;
            Ok(builder)
        }
        // An error from the server leaves the connection usable: the transaction was
        // rolled back (or rolls itself back) before the connection serves anything else.
        Ok(Err(error)) => {
            running.armed = false;
            Err(error)
        }
        Err(_) => Err(ConnectorError::Timeout(request.limits.timeout)),
    }
}

/// Rows fetched per round trip. The portal stops the server after each batch, so a result
/// cut by the row cap is never sent whole.
const BATCH: usize = 1_000;

/// The statement's columns in the connector's terms.
fn columns(statement: &Statement) -> Vec<Column> {
    statement
        .columns()
        .iter()
        .map(|c| Column {
            name: c.name().to_owned(),
            data_type: types::data_type(c.type_()),
            native_type: c.type_().name().to_owned(),
        })
        .collect()
}

fn values(row: &tokio_postgres::Row) -> Result<Vec<kurobe_connector::Value>, ConnectorError> {
    (0..row.len())
        .map(|i| row.try_get::<_, types::PgValue>(i).map(|v| v.0))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ConnectorError::Query(format!("cannot read a value: {e}")))
}

/// The transaction's settings; the timeout is our own integer, everything the caller
/// supplies is bound.
fn statement_timeout(limits: &kurobe_connector::Limits) -> String {
    format!("SET LOCAL statement_timeout = {}", limits.timeout.as_millis().max(1))
}

const SET_CONTEXT: &str = "SELECT set_config(n, v, true) FROM unnest($1::text[], $2::text[]) AS s(n, v)";

fn context(request: &ExecRequest) -> (Vec<&str>, Vec<&str>) {
    request.settings.iter().map(|(n, v)| (n.as_str(), v.as_str())).unzip()
}

/// Executes the statement to completion in a read-only transaction and reads its rows, up
/// to the cap. The transaction's start travels with the statement's preparation (tokio-postgres
/// pipelines requests polled together), so a query costs three round trips: begin and
/// prepare, execute, roll back.
async fn run_once(
    client: &mut Object,
    sql: &str,
    request: &ExecRequest,
) -> Result<(ResultBuilder, bool), ConnectorError> {
    let limits = request.limits;
    let error = |e: tokio_postgres::Error| query_error(&e, limits.timeout);
    let begin = format!("BEGIN READ ONLY; {}", statement_timeout(&limits));
    let read = async {
        let (began, prepared) = tokio::join!(client.batch_execute(&begin), client.prepare(sql));
        began.map_err(error)?;
        let statement = prepared.map_err(error)?;
        if !request.settings.is_empty() {
            let (names, values) = context(request);
            client.execute(SET_CONTEXT, &[&names, &values]).await.map_err(error)?;
        }
        let mut builder = ResultBuilder::new(columns(&statement), limits);
        let rows = client.query_raw(&statement, std::iter::empty::<i32>()).await.map_err(error)?;
        let mut rows = std::pin::pin!(rows);
        while let Some(row) = rows.try_next().await.map_err(error)? {
            if !builder.push(values(&row)?) {
                // The cap is reached: stop reading; the server may still be sending.
                return Ok((builder, false));
            }
        }
        Ok((builder, true))
    };
    let outcome = read.await;
    match &outcome {
        // Left mid-result: the caller closes the connection instead of rolling back.
        Ok((_, false)) => {}
        Ok((_, true)) => client.batch_execute("ROLLBACK").await.map_err(error)?,
        // Whatever failed, the transaction ends before the connection is pooled again; the
        // first error is the one worth reporting (a ROLLBACK fails only on a dead
        // connection, which the pool discards).
        Err(_) => drop(client.batch_execute("ROLLBACK").await),
    }
    outcome
}

/// Reads the rows through a portal, a batch per round trip, handing each batch on.
async fn run_in_batches(
    client: &mut Object,
    sql: &str,
    request: &ExecRequest,
    sender: &RowSender,
) -> Result<(ResultBuilder, bool), ConnectorError> {
    let limits = request.limits;
    let error = |e: tokio_postgres::Error| query_error(&e, limits.timeout);
    let transaction = client.build_transaction().read_only(true).start().await.map_err(error)?;
    transaction.batch_execute(&statement_timeout(&limits)).await.map_err(error)?;
    if !request.settings.is_empty() {
        let (names, values) = context(request);
        transaction.execute(SET_CONTEXT, &[&names, &values]).await.map_err(error)?;
    }
    let statement = transaction.prepare(sql).await.map_err(error)?;
    let columns = columns(&statement);
    if sender.send(RowBatch::Columns(columns.clone())).await.is_err() {
        return Ok((ResultBuilder::new(columns, limits), true));
    }
    let mut builder = ResultBuilder::new(columns, limits);
    let portal = transaction.bind(&statement, &[]).await.map_err(error)?;
    let batch = limits.max_rows.saturating_add(1).min(BATCH);
    'fetch: loop {
        let rows = transaction.query_portal(&portal, i32::try_from(batch).unwrap_or(i32::MAX)).await.map_err(error)?;
        let complete = rows.len() < batch;
        for row in rows {
            if !builder.push(values(&row)?) {
                break 'fetch;
            }
        }
        // A receiver that went away means the export was abandoned: stop fetching.
        if let Some(rows) = builder.take_batch(1)
            && sender.send(RowBatch::Rows(rows)).await.is_err()
        {
            break;
        }
        if complete {
            break;
        }
    }
    if let Some(rows) = builder.take_batch(1) {
        sender.send(RowBatch::Rows(rows)).await.ok();
    }
    transaction.rollback().await.map_err(error)?;
    Ok((builder, true))
}

#[cfg(test)]
mod tests {
    use super::check_setting_name;

    #[test]
    fn only_custom_settings_may_be_set() {
        for ok in ["app.user_id", "kurobe.org_id", "app.region_2"] {
            assert!(check_setting_name(ok).is_ok(), "{ok}");
        }
        for bad in
            ["role", "search_path", "session_authorization", "app.", ".x", "App.x", "app.x;drop", "a.b.c", "app.x y"]
        {
            assert!(check_setting_name(bad).is_err(), "{bad}");
        }
    }
}
