use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{ConnectorError, ExecRequest, IntrospectOptions, QueryResult, RowSender, Schema};

/// The SQL dialect a connector speaks; the guard parses and renders in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    Postgres,
    DuckDb,
    Trino,
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Postgres => "postgres",
            Dialect::DuckDb => "duckdb",
            Dialect::Trino => "trino",
        })
    }
}

/// What a successful connection test learnt about the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerInfo {
    /// The engine's own version string.
    pub version: String,
}

/// A warehouse Kurobe can query.
///
/// **Cancellation:** dropping the future returned by [`Connector::execute`] (a client that
/// went away, a timeout above) stops the query on the server, not only in Kurobe; and
/// `execute` itself enforces `request.limits.timeout` the same way.
#[async_trait]
pub trait Connector: Send + Sync + fmt::Debug {
    fn dialect(&self) -> Dialect;

    /// Connects and runs a trivial query.
    async fn test(&self) -> Result<ServerInfo, ConnectorError>;

    /// Reads the catalog: tables, views, columns, keys, comments, estimates and samples.
    async fn introspect(&self, options: &IntrospectOptions) -> Result<Schema, ConnectorError>;

    /// Runs one read-only query within the request's limits.
    async fn execute(&self, sql: &str, request: &ExecRequest) -> Result<QueryResult, ConnectorError>;

    /// Runs one read-only query and sends its columns, then its rows in batches, as they
    /// are read — for exports, which must never hold a whole result. The row cap and the
    /// timeout apply; the byte cap applies per batch. Returns whether the row cap cut the
    /// result. A receiver that goes away stops the query.
    async fn stream(&self, sql: &str, request: &ExecRequest, rows: RowSender) -> Result<bool, ConnectorError>;
}
