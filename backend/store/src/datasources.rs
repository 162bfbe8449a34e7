use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Scoped, StoreError};

/// A data source row with its health and schema state.
#[derive(Clone, PartialEq)]
pub struct DataSourceRecord {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub kind: String,
    pub config: serde_json::Value,
    pub limits: serde_json::Value,
    /// AES-256-GCM ciphertext and the master-key version it was sealed with.
    pub credentials: Option<(Vec<u8>, i32)>,
    pub config_version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub health: Option<HealthRecord>,
    pub schema_generation: i64,
    pub schema_refreshed_at: Option<DateTime<Utc>>,
    pub schema_tables: Option<i64>,
    /// A JSON array of row policies, validated by the server before it is stored.
    pub row_policies: serde_json::Value,
}

// Written by hand: even ciphertext stays out of logs.
impl std::fmt::Debug for DataSourceRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataSourceRecord")
            .field("id", &self.id)
            .field("org_id", &self.org_id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("credentials", &self.credentials.as_ref().map(|(_, v)| format!("[sealed v{v}]")))
            .field("config_version", &self.config_version)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HealthRecord {
    pub ok: bool,
    pub error: Option<String>,
    pub latency_ms: Option<f64>,
    pub checked_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewDataSource<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub kind: &'a str,
    pub config: &'a serde_json::Value,
    pub limits: &'a serde_json::Value,
    pub credentials: Option<(&'a [u8], i32)>,
    pub created_by: Uuid,
}

/// Changes to a data source; `None` keeps a field. Any change bumps `config_version`.
#[derive(Debug, Clone, Default)]
pub struct DataSourceChanges<'a> {
    pub name: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub config: Option<&'a serde_json::Value>,
    pub limits: Option<&'a serde_json::Value>,
    /// `Some(None)` removes the credentials.
    pub credentials: Option<Option<(&'a [u8], i32)>>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    org_id: Uuid,
    name: String,
    kind: String,
    config: serde_json::Value,
    limits: serde_json::Value,
    credentials: Option<Vec<u8>>,
    credentials_key_version: Option<i32>,
    config_version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    health_status: Option<String>,
    health_error: Option<String>,
    health_latency_ms: Option<f64>,
    health_checked_at: Option<DateTime<Utc>>,
    schema_generation: Option<i64>,
    schema_refreshed_at: Option<DateTime<Utc>>,
    schema_tables: Option<i64>,
    row_policies: serde_json::Value,
}

impl From<Row> for DataSourceRecord {
    fn from(r: Row) -> Self {
        DataSourceRecord {
            id: r.id,
            org_id: r.org_id,
            name: r.name,
            kind: r.kind,
            config: r.config,
            limits: r.limits,
            credentials: r.credentials.zip(r.credentials_key_version),
            config_version: r.config_version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            health: r.health_checked_at.map(|checked_at| HealthRecord {
                ok: r.health_status.as_deref() == Some("ok"),
                error: r.health_error,
                latency_ms: r.health_latency_ms,
                checked_at,
            }),
            schema_generation: r.schema_generation.unwrap_or(0),
            schema_refreshed_at: r.schema_refreshed_at,
            schema_tables: r.schema_tables,
            row_policies: r.row_policies,
        }
    }
}

const SELECT: &str = "SELECT d.id, d.org_id, d.name, d.kind, d.config, d.limits, d.credentials, d.credentials_key_version, \
     d.config_version, d.created_at, d.updated_at, h.status AS health_status, h.error AS health_error, \
     h.latency_ms AS health_latency_ms, h.checked_at AS health_checked_at, s.generation AS schema_generation, \
     s.refreshed_at AS schema_refreshed_at, jsonb_array_length(s.snapshot -> 'tables')::bigint AS schema_tables, d.row_policies \
     FROM data_sources d \
     LEFT JOIN data_source_health h ON h.datasource_id = d.id \
     LEFT JOIN data_source_schemas s ON s.datasource_id = d.id \
     WHERE d.org_id = current_org_id()";

impl Scoped {
    pub async fn create_data_source(&mut self, new: NewDataSource<'_>) -> Result<DataSourceRecord, StoreError> {
        sqlx::query(
            "INSERT INTO data_sources (id, org_id, name, kind, config, limits, credentials, credentials_key_version, created_by) \
             VALUES ($1, current_org_id(), $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new.id)
        .bind(new.name)
        .bind(new.kind)
        .bind(new.config)
        .bind(new.limits)
        .bind(new.credentials.map(|(c, _)| c))
        .bind(new.credentials.map(|(_, v)| v))
        .bind(new.created_by)
        .execute(&mut *self.tx)
        .await?;
        self.data_source(new.id).await?.ok_or_else(|| StoreError::Corrupt("inserted data source not visible".into()))
    }

    pub async fn data_source(&mut self, id: Uuid) -> Result<Option<DataSourceRecord>, StoreError> {
        let row: Option<Row> =
            sqlx::query_as(&format!("{SELECT} AND d.id = $1")).bind(id).fetch_optional(&mut *self.tx).await?;
        Ok(row.map(Into::into))
    }

    /// Replaces the data source's row policies; `false` when no such data source is visible.
    pub async fn set_row_policies(&mut self, id: Uuid, policies: &serde_json::Value) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE data_sources SET row_policies = $2 WHERE id = $1 AND org_id = current_org_id()")
            .bind(id)
            .bind(policies)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn data_sources(&mut self) -> Result<Vec<DataSourceRecord>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} ORDER BY d.name")).fetch_all(&mut *self.tx).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Applies the changes; `false` when no such data source is visible.
    pub async fn update_data_source(&mut self, id: Uuid, changes: DataSourceChanges<'_>) -> Result<bool, StoreError> {
        let (set_credentials, credentials) = match changes.credentials {
            Some(c) => (true, c),
            None => (false, None),
        };
        let done = sqlx::query(
            "UPDATE data_sources SET name = coalesce($2, name), kind = coalesce($3, kind), config = coalesce($4, config), \
             limits = coalesce($5, limits), \
             credentials = CASE WHEN $6 THEN $7 ELSE credentials END, \
             credentials_key_version = CASE WHEN $6 THEN $8 ELSE credentials_key_version END, \
             config_version = config_version + 1 \
             WHERE id = $1 AND org_id = current_org_id()",
        )
        .bind(id)
        .bind(changes.name)
        .bind(changes.kind)
        .bind(changes.config)
        .bind(changes.limits)
        .bind(set_credentials)
        .bind(credentials.map(|(c, _)| c))
        .bind(credentials.map(|(_, v)| v))
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn delete_data_source(&mut self, id: Uuid) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM data_sources WHERE id = $1 AND org_id = current_org_id()")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Re-seals credentials (key rotation) without touching `config_version`: the
    /// plaintext, and so the live connector, is unchanged.
    pub async fn reseal_credentials(&mut self, id: Uuid, sealed: &[u8], version: i32) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE data_sources SET credentials = $2, credentials_key_version = $3 \
             WHERE id = $1 AND org_id = current_org_id() AND credentials IS NOT NULL",
        )
        .bind(id)
        .bind(sealed)
        .bind(version)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn record_health(&mut self, id: Uuid, error: Option<&str>, latency_ms: f64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO data_source_health (datasource_id, org_id, status, error, latency_ms, checked_at) \
             VALUES ($1, current_org_id(), $2, $3, $4, now()) \
             ON CONFLICT (datasource_id) DO UPDATE SET status = EXCLUDED.status, error = EXCLUDED.error, \
             latency_ms = EXCLUDED.latency_ms, checked_at = EXCLUDED.checked_at",
        )
        .bind(id)
        .bind(if error.is_none() { "ok" } else { "failing" })
        .bind(error)
        .bind(latency_ms)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Stores a new introspection and returns its generation (one more than the last).
    pub async fn save_schema(&mut self, id: Uuid, snapshot: &serde_json::Value) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO data_source_schemas (datasource_id, org_id, generation, snapshot, refreshed_at) \
             VALUES ($1, current_org_id(), 1, $2, now()) \
             ON CONFLICT (datasource_id) DO UPDATE SET generation = data_source_schemas.generation + 1, \
             snapshot = EXCLUDED.snapshot, refreshed_at = EXCLUDED.refreshed_at RETURNING generation",
        )
        .bind(id)
        .bind(snapshot)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// The last introspection: its generation and snapshot.
    pub async fn schema_snapshot(&mut self, id: Uuid) -> Result<Option<(i64, serde_json::Value)>, StoreError> {
        Ok(sqlx::query_as("SELECT generation, snapshot FROM data_source_schemas WHERE datasource_id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    /// Every data source of every organisation, as (organisation, id) pairs only.
    pub async fn data_source_index(&mut self) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        Ok(sqlx::query_as("SELECT org_id, id FROM data_source_index ORDER BY org_id, id")
            .fetch_all(&mut *self.tx)
            .await?)
    }
}
