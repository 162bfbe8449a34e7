use uuid::Uuid;

use crate::{Scoped, StoreError};

/// How a query ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryStatus {
    Succeeded,
    Failed,
    /// The guard refused it; nothing ran.
    Refused,
}

impl QueryStatus {
    fn as_str(self) -> &'static str {
        match self {
            QueryStatus::Succeeded => "succeeded",
            QueryStatus::Failed => "failed",
            QueryStatus::Refused => "refused",
        }
    }
}

/// One entry of the query history, in the context's organisation.
#[derive(Debug, Clone)]
pub struct NewQuery {
    pub id: Uuid,
    pub user_id: Uuid,
    pub api_key_id: Option<Uuid>,
    pub datasource_id: Uuid,
    pub question: Option<String>,
    pub sql: String,
    pub status: QueryStatus,
    pub error_code: Option<String>,
    pub row_count: Option<i64>,
    pub duration_ms: f64,
    pub details: serde_json::Value,
}

impl Scoped {
    /// Records queries in one statement.
    pub async fn record_queries(&mut self, queries: &[&NewQuery]) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO query_history (id, org_id, user_id, api_key_id, datasource_id, question, sql, status, \
             error_code, row_count, duration_ms, details) \
             SELECT id, current_org_id(), user_id, api_key_id, datasource_id, question, sql, status, error_code, \
                    row_count, duration_ms, details \
             FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], \
                         $8::text[], $9::int8[], $10::float8[], $11::jsonb[]) \
                  AS q(id, user_id, api_key_id, datasource_id, question, sql, status, error_code, row_count, \
                       duration_ms, details)",
        )
        .bind(queries.iter().map(|q| q.id).collect::<Vec<_>>())
        .bind(queries.iter().map(|q| q.user_id).collect::<Vec<_>>())
        .bind(queries.iter().map(|q| q.api_key_id).collect::<Vec<_>>())
        .bind(queries.iter().map(|q| q.datasource_id).collect::<Vec<_>>())
        .bind(queries.iter().map(|q| q.question.as_deref()).collect::<Vec<_>>())
        .bind(queries.iter().map(|q| q.sql.as_str()).collect::<Vec<_>>())
        .bind(queries.iter().map(|q| q.status.as_str()).collect::<Vec<_>>())
        .bind(queries.iter().map(|q| q.error_code.as_deref()).collect::<Vec<_>>())
        .bind(queries.iter().map(|q| q.row_count).collect::<Vec<_>>())
        .bind(queries.iter().map(|q| q.duration_ms).collect::<Vec<_>>())
        .bind(queries.iter().map(|q| &q.details).collect::<Vec<_>>())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

/// A stored query, as the history lists it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct QueryRecord {
    pub id: Uuid,
    pub datasource_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub api_key_id: Option<Uuid>,
    pub question: Option<String>,
    pub sql: Option<String>,
    pub status: String,
    pub error_code: Option<String>,
    pub row_count: Option<i64>,
    pub duration_ms: Option<f64>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Filters for the history, newest first. Ids are time-ordered (UUIDv7), so `before`
/// pages by id.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    pub datasource_id: Option<Uuid>,
    pub status: Option<String>,
    pub user_id: Option<Uuid>,
    pub search: Option<String>,
    pub before: Option<Uuid>,
    pub limit: i64,
}

const QUERY_COLUMNS: &str =
    "id, datasource_id, user_id, api_key_id, question, sql, status, error_code, row_count, duration_ms, created_at";

impl Scoped {
    pub async fn queries(&mut self, filter: &HistoryFilter) -> Result<Vec<QueryRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {QUERY_COLUMNS} FROM query_history WHERE org_id = current_org_id() \
             AND ($1::uuid IS NULL OR datasource_id = $1) AND ($2::text IS NULL OR status = $2) \
             AND ($3::uuid IS NULL OR user_id = $3) \
             AND ($4::text IS NULL OR strpos(lower(coalesce(question, '') || ' ' || coalesce(sql, '')), lower($4)) > 0) \
             AND ($5::uuid IS NULL OR id < $5) ORDER BY id DESC LIMIT $6"
        ))
        .bind(filter.datasource_id)
        .bind(&filter.status)
        .bind(filter.user_id)
        .bind(&filter.search)
        .bind(filter.before)
        .bind(filter.limit)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    pub async fn query(&mut self, id: Uuid) -> Result<Option<QueryRecord>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {QUERY_COLUMNS} FROM query_history WHERE id = $1 AND org_id = current_org_id()"
        ))
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?)
    }
}
