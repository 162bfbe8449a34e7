use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a data source's data lives, per engine. Nothing secret goes here: passwords and
/// tokens travel in [`Credentials`], which are stored encrypted and never returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DataSourceConfig {
    Postgres {
        host: String,
        #[serde(default = "default_postgres_port")]
        port: u16,
        database: String,
        user: String,
        /// Connections kept open to this database (1 to 32; 4 by default).
        #[serde(default)]
        pool_size: Option<u16>,
        /// Custom settings made visible to the database for each query, so its own
        /// row-level security can see who asks. Values are templates:
        /// `{{org.id}}`, `{{user.id}}`, `{{user.email}}`, `{{user.role}}`.
        #[serde(default)]
        context_settings: BTreeMap<String, String>,
    },
    #[serde(rename = "duckdb")]
    DuckDb {
        /// A DuckDB file inside one of the server's allowed folders; opened read-only.
        path: String,
    },
    Trino {
        /// `http://host:port` or `https://host:port`.
        url: String,
        user: String,
        catalog: String,
        #[serde(default)]
        schema: Option<String>,
        /// How `credentials` authenticate: `none`, `basic` (password) or `jwt` (token).
        #[serde(default)]
        auth: TrinoAuthKind,
    },
}

fn default_postgres_port() -> u16 {
    5432
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TrinoAuthKind {
    #[default]
    None,
    Basic,
    Jwt,
}

impl DataSourceConfig {
    pub fn kind(&self) -> &'static str {
        match self {
            DataSourceConfig::Postgres { .. } => "postgres",
            DataSourceConfig::DuckDb { .. } => "duckdb",
            DataSourceConfig::Trino { .. } => "trino",
        }
    }
}

/// Secrets of a data source. Write-only: accepted on create and update, stored encrypted,
/// never returned, logged or audited.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub password: Option<String>,
    pub token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials([redacted])")
    }
}

/// Bounds for every query on the data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct QueryLimits {
    /// 1 to 300 seconds; 30 by default.
    pub timeout_seconds: u32,
    /// 1 to 1,000,000 rows; 10,000 by default. Larger results are cut and say `truncated`.
    pub max_rows: u32,
    /// How long a result is served from the cache: 0 (never cached) to 86,400 seconds;
    /// 300 by default. Refreshing the data source's schema empties its cache at once.
    pub cache_ttl_seconds: u32,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self { timeout_seconds: 30, max_rows: 10_000, cache_ttl_seconds: 300 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateDataSourceRequest {
    pub name: String,
    pub config: DataSourceConfig,
    pub credentials: Option<Credentials>,
    pub limits: Option<QueryLimits>,
}

/// Changes a data source; absent fields keep their value. `credentials: null` keeps the
/// stored ones; `credentials: {}` removes them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateDataSourceRequest {
    pub name: Option<String>,
    pub config: Option<DataSourceConfig>,
    pub credentials: Option<Credentials>,
    pub limits: Option<QueryLimits>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Not checked yet.
    Unknown,
    Ok,
    Failing,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: HealthStatus,
    pub error: Option<String>,
    pub latency_ms: Option<f64>,
    pub checked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemaState {
    /// Bumped by every refresh; part of every cache key.
    pub generation: i64,
    pub refreshed_at: Option<DateTime<Utc>>,
    pub tables: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataSource {
    pub id: Uuid,
    pub name: String,
    pub config: DataSourceConfig,
    /// Whether secrets are stored; they are never returned.
    pub has_credentials: bool,
    pub limits: QueryLimits,
    pub health: Health,
    pub schema: SchemaState,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionTest {
    pub ok: bool,
    pub version: Option<String>,
    pub latency_ms: f64,
    pub error: Option<String>,
}

/// The introspected schema of a data source, with the generation it was read at.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataSourceSchema {
    pub generation: i64,
    pub schema: kurobe_connector::Schema,
}

/// "Rows of `table` that members with one of `roles` may see satisfy `predicate`." The
/// predicate is SQL over the table's columns with placeholders for the caller's values —
/// `{{user.id}}`, `{{user.email}}`, `{{user.role}}`, `{{org.id}}`,
/// `{{user.attributes.<name>}}` — which enter the query as string literals, never as SQL.
/// The guard injects it wherever the table appears: joins, CTEs, subqueries, set
/// operations. A member without a value the predicate needs gets no answer, not all rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RowPolicy {
    /// `schema.table`, as introspection names it.
    #[cfg_attr(feature = "openapi", schema(example = "retail.orders"))]
    pub table: String,
    /// The roles the policy applies to; members with other roles see every row.
    pub roles: Vec<crate::Role>,
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "store_id IN (SELECT store_id FROM retail.stores WHERE region_id = CAST({{user.attributes.region_id}} AS INTEGER))"
        )
    )]
    pub predicate: String,
}

/// Every row policy of a data source.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RowPolicies {
    pub policies: Vec<RowPolicy>,
}
