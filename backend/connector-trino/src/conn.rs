use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use async_trait::async_trait;
use kurobe_connector::{
    Column, Connector, ConnectorError, DataType, Dialect, ExecRequest, IntrospectOptions, QueryResult, ResultBuilder,
    RowBatch, RowSender, Schema, ServerInfo,
};
use trino_rust_client::{Client, ClientBuilder, Row, auth::Auth, error::Error as TrinoError, models::QueryResultData};
use url::Url;

use crate::{introspect, types};

#[derive(Clone, PartialEq, Eq)]
pub enum TrinoAuth {
    None,
    Basic { password: String },
    Jwt { token: String },
}

// Written by hand so passwords and tokens never reach a log line.
impl std::fmt::Debug for TrinoAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TrinoAuth::None => "none",
            TrinoAuth::Basic { .. } => "basic [redacted]",
            TrinoAuth::Jwt { .. } => "jwt [redacted]",
        })
    }
}

/// How to reach one Trino catalog.
#[derive(Clone)]
pub struct TrinoConfig {
    /// `http://host:port` or `https://host:port`.
    pub url: String,
    pub user: String,
    pub auth: TrinoAuth,
    pub catalog: String,
    pub schema: Option<String>,
    /// Allow credentials over plain HTTP (only on a network you trust, such as loopback).
    pub allow_insecure_auth: bool,
}

impl std::fmt::Debug for TrinoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrinoConfig")
            .field("url", &self.url)
            .field("user", &self.user)
            .field("auth", &self.auth)
            .field("catalog", &self.catalog)
            .field("schema", &self.schema)
            .finish()
    }
}

/// A Trino catalog as a data source.
#[derive(Clone)]
pub struct TrinoConnector {
    config: Arc<TrinoConfig>,
    /// Session properties are fixed per client, and each timeout needs its own
    /// `query_max_run_time`; requests use a handful of timeouts, so clients are kept per
    /// timeout.
    clients: Arc<Mutex<HashMap<Duration, Arc<Client>>>>,
}

impl std::fmt::Debug for TrinoConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrinoConnector").field("config", &self.config).finish_non_exhaustive()
    }
}

fn trino_duration(timeout: Duration) -> String {
    format!("{}ms", timeout.as_millis().max(1))
}

impl TrinoConnector {
    pub fn new(config: TrinoConfig) -> Result<Self, ConnectorError> {
        let url = Url::parse(&config.url).map_err(|e| ConnectorError::Config(format!("invalid Trino URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(ConnectorError::Config("the Trino URL must be http(s)://host:port".into()));
        }
        if config.catalog.is_empty() {
            return Err(ConnectorError::Config("a Trino data source needs a catalog".into()));
        }
        Ok(Self { config: Arc::new(config), clients: Arc::default() })
    }

    pub fn catalog(&self) -> &str {
        &self.config.catalog
    }

    fn client(&self, timeout: Duration) -> Result<Arc<Client>, ConnectorError> {
        let mut clients = self.clients.lock().map_err(|_| ConnectorError::Internal("client cache poisoned".into()))?;
        if let Some(client) = clients.get(&timeout) {
            return Ok(client.clone());
        }
        let config = &self.config;
        let url = Url::parse(&config.url).map_err(|e| ConnectorError::Config(e.to_string()))?;
        let mut builder = ClientBuilder::new(&config.user, url.host_str().unwrap_or_default())
            .port(url.port_or_known_default().unwrap_or(8080))
            .secure(url.scheme() == "https")
            .source("kurobe")
            .catalog(&config.catalog)
            .property("query_max_run_time", trino_duration(timeout))
            .client_request_timeout(timeout + Duration::from_secs(10))
            .auth_http_insecure(config.allow_insecure_auth)
            .max_attempt(2);
        if let Some(schema) = &config.schema {
            builder = builder.schema(schema);
        }
        builder = match &config.auth {
            TrinoAuth::None => builder,
            TrinoAuth::Basic { password } => builder.auth(Auth::new_basic(&config.user, Some(password))),
            TrinoAuth::Jwt { token } => builder.auth(Auth::Jwt(token.clone())),
        };
        let client = Arc::new(builder.build().map_err(|e| ConnectorError::Config(e.to_string()))?);
        clients.insert(timeout, client.clone());
        Ok(client)
    }
}

/// Cancels the query on the coordinator if the caller stops waiting before it finished
/// (a timeout, a dropped future): `DELETE /v1/query/{id}`, which Trino honours at once.
struct CancelOnDrop {
    client: Arc<Client>,
    query_id: Option<String>,
    armed: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let (true, Some(id)) = (self.armed, self.query_id.take()) else { return };
        let client = self.client.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(err) = client.cancel(&id).await {
                    tracing::warn!(query.id = id, %err, "could not cancel a Trino query");
                }
            });
        }
    }
}

/// Hands the rows held on to a streaming caller; `false` when it went away.
async fn hand_on(builder: &mut Option<ResultBuilder>, sender: Option<&RowSender>) -> bool {
    let Some(sender) = sender else { return true };
    match builder.as_mut().and_then(|b| b.take_batch(1)) {
        Some(rows) => sender.send(RowBatch::Rows(rows)).await.is_ok(),
        None => true,
    }
}

/// Follows the query's pages into `builder`, recording its id in `guard` as soon as Trino
/// assigns one; with a sender, hands each page's rows on. Stops (and leaves the guard to
/// cancel the rest) once a cap is reached or the receiver went away.
async fn run(
    client: &Client,
    sql: &str,
    request: &ExecRequest,
    guard: &mut CancelOnDrop,
    builder: &mut Option<ResultBuilder>,
    sender: Option<&RowSender>,
) -> Result<(), ConnectorError> {
    let timeout = request.limits.timeout;
    let mut page = client.get::<Row>(sql).await.map_err(|e| error(&e, timeout))?;
    guard.query_id = Some(page.id.clone());
    loop {
        if let Some(failure) = page.error.take() {
            guard.armed = false;
            return Err(query_failure(&failure.error_name, failure.message, timeout));
        }
        if builder.is_none()
            && let Some(columns) = &page.columns
        {
            let columns = columns
                .iter()
                .map(|c| Column {
                    name: c.name.clone(),
                    data_type: DataType::from_sql_name(&c.ty),
                    native_type: c.ty.clone(),
                })
                .collect::<Vec<_>>();
            if let Some(sender) = sender
                && sender.send(RowBatch::Columns(columns.clone())).await.is_err()
            {
                return Ok(());
            }
            *builder = Some(ResultBuilder::new(columns, request.limits));
        }
        if let (Some(data), Some(result)) = (page.data.take(), builder.as_mut()) {
            let rows = match data {
                QueryResultData::Direct(rows) => rows,
                QueryResultData::Spooled(_) => {
                    return Err(ConnectorError::Internal(
                        "Trino sent a spooled result, which Kurobe does not request".into(),
                    ));
                }
            };
            for row in rows {
                let values = row
                    .into_json()
                    .into_iter()
                    .zip(result.columns())
                    .map(|(value, column)| types::value(value, &column.data_type, &column.native_type))
                    .collect();
                if !result.push(values) {
                    // The caps are reached: the guard, still armed, cancels the rest.
                    hand_on(builder, sender).await;
                    return Ok(());
                }
            }
        }
        if !hand_on(builder, sender).await {
            return Ok(());
        }
        match page.next_uri.take() {
            Some(next) => page = client.get_next::<Row>(&next).await.map_err(|e| error(&e, timeout))?,
            None => {
                guard.armed = false;
                return Ok(());
            }
        }
    }
}

fn query_failure(name: &str, message: String, timeout: Duration) -> ConnectorError {
    if name == "EXCEEDED_TIME_LIMIT" { ConnectorError::Timeout(timeout) } else { ConnectorError::Query(message) }
}

fn error(err: &TrinoError, timeout: Duration) -> ConnectorError {
    match err {
        TrinoError::Query(query) => query_failure(&query.error_name, query.message.clone(), timeout),
        TrinoError::HttpError(e) if e.is_connect() || e.is_timeout() => ConnectorError::Connection(e.to_string()),
        TrinoError::HttpNotOk(status, _) if status.as_u16() == 401 || status.as_u16() == 403 => {
            ConnectorError::Connection(format!("Trino refused the credentials ({status})"))
        }
        TrinoError::Forbidden { message } => ConnectorError::Query(message.clone()),
        other => ConnectorError::Connection(other.to_string()),
    }
}

#[async_trait]
impl Connector for TrinoConnector {
    fn dialect(&self) -> Dialect {
        Dialect::Trino
    }

    async fn test(&self) -> Result<ServerInfo, ConnectorError> {
        let result = self
            .execute("SELECT node_version FROM system.runtime.nodes WHERE coordinator", &ExecRequest::default())
            .await?;
        let version = result.rows.first().and_then(|row| row.first()).map(|v| v.to_text()).unwrap_or_default();
        Ok(ServerInfo { version: format!("Trino {version}") })
    }

    async fn introspect(&self, options: &IntrospectOptions) -> Result<Schema, ConnectorError> {
        introspect::introspect(self, options).await
    }

    async fn execute(&self, sql: &str, request: &ExecRequest) -> Result<QueryResult, ConnectorError> {
        let started = Instant::now();
        Ok(self.with_cancellation(sql, request, None).await?.finish(started.elapsed()))
    }

    async fn stream(&self, sql: &str, request: &ExecRequest, rows: RowSender) -> Result<bool, ConnectorError> {
        Ok(self.with_cancellation(sql, request, Some(&rows)).await?.truncated())
    }
}

impl TrinoConnector {
    /// Runs the query, cancelling it on the coordinator when the timeout passes or the
    /// caller goes away.
    async fn with_cancellation(
        &self,
        sql: &str,
        request: &ExecRequest,
        sender: Option<&RowSender>,
    ) -> Result<ResultBuilder, ConnectorError> {
        let timeout = request.limits.timeout;
        let client = self.client(timeout)?;
        let mut guard = CancelOnDrop { client: client.clone(), query_id: None, armed: true };
        let mut builder = None;
        let outcome = tokio::time::timeout(timeout, run(&client, sql, request, &mut guard, &mut builder, sender)).await;
        match outcome {
            Ok(Ok(())) => Ok(builder.unwrap_or_else(|| ResultBuilder::new(Vec::new(), request.limits))),
            Ok(Err(err)) => Err(err),
            Err(_) => {
                // Cancel before answering, so a timed-out query is gone when the caller hears of it.
                if let Some(id) = guard.query_id.take() {
                    guard.armed = false;
                    client.cancel(&id).await.ok();
                }
                Err(ConnectorError::Timeout(timeout))
            }
        }
    }
}
