use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Timeouts};
use kurobe_connector::{
    Connector, ConnectorError, Dialect, ExecRequest, IntrospectOptions, QueryResult, RowSender, Schema, ServerInfo,
};
use tokio_postgres::NoTls;

use crate::{execute, introspect};

/// How to reach one Postgres database.
#[derive(Clone)]
pub struct PostgresConfig {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub password: Option<String>,
    pub pool_size: usize,
    pub connect_timeout: Duration,
}

// Written by hand so the password never reaches a log line.
impl std::fmt::Debug for PostgresConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

/// A pooled Postgres data source.
#[derive(Debug, Clone)]
pub struct PostgresConnector {
    pub(crate) pool: Pool,
}

impl PostgresConnector {
    /// Builds the pool; no connection is opened until the first query.
    pub fn new(config: &PostgresConfig) -> Result<Self, ConnectorError> {
        let mut pg = tokio_postgres::Config::new();
        pg.host(&config.host)
            .port(config.port)
            .dbname(&config.database)
            .user(&config.user)
            .application_name("kurobe")
            .connect_timeout(config.connect_timeout);
        if let Some(password) = &config.password {
            pg.password(password);
        }
        let manager = Manager::from_config(pg, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(config.pool_size.max(1))
            .timeouts(Timeouts {
                wait: Some(Duration::from_secs(10)),
                create: Some(config.connect_timeout),
                recycle: Some(Duration::from_secs(5)),
            })
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| ConnectorError::Config(e.to_string()))?;
        Ok(Self { pool })
    }
}

#[async_trait]
impl Connector for PostgresConnector {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn test(&self) -> Result<ServerInfo, ConnectorError> {
        let result = self.execute("SELECT version()", &ExecRequest::default()).await?;
        let version = result.rows.first().and_then(|row| row.first()).map(|v| v.to_text()).unwrap_or_default();
        Ok(ServerInfo { version })
    }

    async fn introspect(&self, options: &IntrospectOptions) -> Result<Schema, ConnectorError> {
        introspect::introspect(self, options).await
    }

    async fn execute(&self, sql: &str, request: &ExecRequest) -> Result<QueryResult, ConnectorError> {
        execute::execute(self, sql, request).await
    }

    async fn stream(&self, sql: &str, request: &ExecRequest, rows: RowSender) -> Result<bool, ConnectorError> {
        execute::stream(self, sql, request, rows).await
    }
}
