use std::time::{Duration, Instant};

use deadpool_postgres::{Object, PoolError};
use kurobe_connector::{Column, ConnectorError, ExecRequest, QueryResult, ResultBuilder, RowBatch, RowSender};
use tokio_postgres::{CancelToken, NoTls, error::SqlState};

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

pub(crate) async fn execute(
    connector: &PostgresConnector,
    sql: &str,
    request: &ExecRequest,
) -> Result<QueryResult, ConnectorError> {
    let started = Instant::now();
    Ok(with_cancellation(connector, sql, request, None).await?.finish(started.elapsed()))
}

pub(crate) async fn stream(
    connector: &PostgresConnector,
    sql: &str,
    request: &ExecRequest,
    rows: RowSender,
) -> Result<bool, ConnectorError> {
    Ok(with_cancellation(connector, sql, request, Some(&rows)).await?.truncated())
}

/// Runs the query on a pooled connection, cancelling it on the server when the timeout
/// passes or the caller goes away.
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
        tokio::time::timeout(request.limits.timeout + CLIENT_MARGIN, run(client, sql, request, sender)).await
    };
    match outcome {
        // An error from the server leaves the connection usable: the dropped transaction
        // rolls itself back before the connection serves anything else.
        Ok(result) => {
            running.armed = false;
            result
        }
        Err(_) => Err(ConnectorError::Timeout(request.limits.timeout)),
    }
}

/// Rows fetched per round trip. The portal stops the server after each batch, so a result
/// cut by the row cap is never sent whole.
const BATCH: usize = 1_000;

/// Reads the rows into a builder; with a sender, hands each fetched batch on.
async fn run(
    client: &mut Object,
    sql: &str,
    request: &ExecRequest,
    sender: Option<&RowSender>,
) -> Result<ResultBuilder, ConnectorError> {
    let limits = request.limits;
    let error = |e: tokio_postgres::Error| query_error(&e, limits.timeout);
    let transaction = client.build_transaction().read_only(true).start().await.map_err(error)?;
    // The timeout is our own integer; everything the caller supplies is bound.
    let millis = limits.timeout.as_millis().max(1);
    transaction.batch_execute(&format!("SET LOCAL statement_timeout = {millis}")).await.map_err(error)?;
    if !request.settings.is_empty() {
        let (names, values): (Vec<&str>, Vec<&str>) =
            request.settings.iter().map(|(n, v)| (n.as_str(), v.as_str())).unzip();
        transaction
            .execute("SELECT set_config(n, v, true) FROM unnest($1::text[], $2::text[]) AS s(n, v)", &[&names, &values])
            .await
            .map_err(error)?;
    }
    let statement = transaction.prepare(sql).await.map_err(error)?;
    let columns = statement
        .columns()
        .iter()
        .map(|c| Column {
            name: c.name().to_owned(),
            data_type: types::data_type(c.type_()),
            native_type: c.type_().name().to_owned(),
        })
        .collect::<Vec<_>>();
    if let Some(sender) = sender
        && sender.send(RowBatch::Columns(columns.clone())).await.is_err()
    {
        return Ok(ResultBuilder::new(columns, limits));
    }
    let mut builder = ResultBuilder::new(columns, limits);
    let portal = transaction.bind(&statement, &[]).await.map_err(error)?;
    let batch = limits.max_rows.saturating_add(1).min(BATCH);
    'fetch: loop {
        let rows = transaction.query_portal(&portal, i32::try_from(batch).unwrap_or(i32::MAX)).await.map_err(error)?;
        let complete = rows.len() < batch;
        for row in rows {
            let values = (0..row.len())
                .map(|i| row.try_get::<_, types::PgValue>(i).map(|v| v.0))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ConnectorError::Query(format!("cannot read a value: {e}")))?;
            if !builder.push(values) {
                break 'fetch;
            }
        }
        // A receiver that went away means the export was abandoned: stop fetching.
        if let Some(sender) = sender
            && let Some(rows) = builder.take_batch(1)
            && sender.send(RowBatch::Rows(rows)).await.is_err()
        {
            break;
        }
        if complete {
            break;
        }
    }
    if let Some(sender) = sender
        && let Some(rows) = builder.take_batch(1)
    {
        sender.send(RowBatch::Rows(rows)).await.ok();
    }
    transaction.rollback().await.map_err(error)?;
    Ok(builder)
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
