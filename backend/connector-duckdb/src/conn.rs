use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use duckdb::{AccessMode, Config, Connection};
use kurobe_connector::{
    Connector, ConnectorError, Dialect, ExecRequest, IntrospectOptions, QueryResult, RowSender, Schema, ServerInfo,
};
use tokio::sync::Semaphore;

use crate::{execute, introspect};

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DuckDbSource {
    /// A database file, opened read-only.
    File(PathBuf),
    /// A private in-memory database, filled by a trusted setup before it is sandboxed.
    Memory,
}

/// Settings applied after any trusted setup and before any untrusted SQL. Each is a
/// one-way door: `lock_configuration` forbids changing any setting afterwards.
/// How many queries may run in DuckDB at once, per database.
const SLOTS: usize = 4;

const SANDBOX: &str = "SET autoinstall_known_extensions = false;
SET autoload_known_extensions = false;
SET allow_community_extensions = false;
SET enable_external_access = false;
SET lock_configuration = true;";

/// A sandboxed DuckDB database. Each query runs on its own connection to it.
#[derive(Debug, Clone)]
pub struct DuckDbConnector {
    /// The connection queries are cloned from; `duckdb::Connection` is `Send` but not
    /// `Sync`, hence the mutex, held only to clone.
    root: Arc<Mutex<Connection>>,
    /// DuckDB parallelises each query over every core itself; running more than a few at
    /// once only makes them all slower and multiplies memory.
    slots: Arc<Semaphore>,
}

impl DuckDbConnector {
    pub fn open(source: DuckDbSource) -> Result<Self, ConnectorError> {
        Self::open_with_setup(source, |_| Ok(()))
    }

    /// Opens the database, runs `setup` with full rights (trusted code only: fixtures for
    /// an in-memory database), then locks it down.
    pub fn open_with_setup(
        source: DuckDbSource,
        setup: impl FnOnce(&Connection) -> duckdb::Result<()>,
    ) -> Result<Self, ConnectorError> {
        let connection = match &source {
            DuckDbSource::File(path) => {
                if !path.is_file() {
                    return Err(ConnectorError::Config(format!("no DuckDB database at {}", path.display())));
                }
                let config = Config::default().access_mode(AccessMode::ReadOnly).map_err(connection_error)?;
                Connection::open_with_flags(path, config).map_err(connection_error)?
            }
            DuckDbSource::Memory => Connection::open_in_memory().map_err(connection_error)?,
        };
        setup(&connection).map_err(connection_error)?;
        connection.execute_batch(SANDBOX).map_err(connection_error)?;
        Ok(Self { root: Arc::new(Mutex::new(connection)), slots: Arc::new(Semaphore::new(SLOTS)) })
    }

    /// A fresh connection to the same database, for one query.
    pub(crate) fn connection(&self) -> Result<Connection, ConnectorError> {
        let root = self.root.lock().map_err(|_| ConnectorError::Internal("DuckDB root connection poisoned".into()))?;
        root.try_clone().map_err(connection_error)
    }

    /// Queries whose DuckDB thread is still working (for metrics and tests).
    pub fn queries_running(&self) -> usize {
        SLOTS - self.slots.available_permits()
    }

    pub(crate) fn slots(&self) -> Arc<Semaphore> {
        self.slots.clone()
    }
}

fn connection_error(err: duckdb::Error) -> ConnectorError {
    ConnectorError::Connection(err.to_string())
}

#[async_trait]
impl Connector for DuckDbConnector {
    fn dialect(&self) -> Dialect {
        Dialect::DuckDb
    }

    async fn test(&self) -> Result<ServerInfo, ConnectorError> {
        let result = self.execute("SELECT version()", &ExecRequest::default()).await?;
        let version = result.rows.first().and_then(|row| row.first()).map(|v| v.to_text()).unwrap_or_default();
        Ok(ServerInfo { version: format!("DuckDB {version}") })
    }

    async fn introspect(&self, options: &IntrospectOptions) -> Result<Schema, ConnectorError> {
        introspect::introspect(self, options).await
    }

    async fn execute(&self, sql: &str, request: &ExecRequest) -> Result<QueryResult, ConnectorError> {
        execute::execute(self, sql, request.limits).await
    }

    async fn stream(&self, sql: &str, request: &ExecRequest, rows: RowSender) -> Result<bool, ConnectorError> {
        execute::stream(self, sql, request.limits, rows).await
    }
}
