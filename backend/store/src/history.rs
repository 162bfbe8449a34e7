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
pub struct NewQuery<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub api_key_id: Option<Uuid>,
    pub datasource_id: Uuid,
    pub question: Option<&'a str>,
    pub sql: &'a str,
    pub status: QueryStatus,
    pub error_code: Option<&'a str>,
    pub row_count: Option<i64>,
    pub duration_ms: f64,
    pub details: serde_json::Value,
}

impl Scoped {
    pub async fn record_query(&mut self, query: &NewQuery<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO query_history (id, org_id, user_id, api_key_id, datasource_id, question, sql, status, \
             error_code, row_count, duration_ms, details) \
             VALUES ($1, current_org_id(), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(query.id)
        .bind(query.user_id)
        .bind(query.api_key_id)
        .bind(query.datasource_id)
        .bind(query.question)
        .bind(query.sql)
        .bind(query.status.as_str())
        .bind(query.error_code)
        .bind(query.row_count)
        .bind(query.duration_ms)
        .bind(&query.details)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
