use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chart::ChartSpec;

/// Runs SQL an analyst wrote or edited, through the same guard, limits, history and audit
/// as a question.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SqlRequest {
    pub datasource_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "SELECT status, count(*) FROM retail.orders GROUP BY status"))]
    pub sql: String,
}

/// Milliseconds spent in each stage.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timings {
    pub guard_ms: f64,
    pub execute_ms: f64,
    pub chart_ms: f64,
    pub total_ms: f64,
}

/// The answer to a query.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueryResponse {
    /// The history entry of this query.
    pub query_id: Uuid,
    pub datasource_id: Uuid,
    /// The SQL that ran: rendered by the guard from the checked query, with the row cap.
    pub sql: String,
    pub columns: Vec<kurobe_connector::Column>,
    /// Values in column order. Decimals and 128-bit integers are strings, so nothing is
    /// rounded on the way.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<Object>>))]
    pub rows: Vec<Vec<serde_json::Value>>,
    pub row_count: usize,
    /// More rows existed than the data source's row cap let through.
    pub truncated: bool,
    pub chart: ChartSpec,
    pub timings: Timings,
}

/// One entry of the query history.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueryRecord {
    pub id: Uuid,
    pub datasource_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub api_key_id: Option<Uuid>,
    pub question: Option<String>,
    /// The SQL as submitted.
    pub sql: Option<String>,
    /// `succeeded`, `failed` or `refused`.
    pub status: String,
    pub error_code: Option<String>,
    pub row_count: Option<i64>,
    pub duration_ms: Option<f64>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueryPage {
    pub items: Vec<QueryRecord>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SaveQuestionRequest {
    pub name: String,
    pub datasource_id: Uuid,
    pub question: Option<String>,
    pub sql: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SavedQuestion {
    pub id: Uuid,
    pub name: String,
    pub datasource_id: Uuid,
    pub question: Option<String>,
    pub sql: String,
    pub created_by: Option<Uuid>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Thumbs up or down on an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Up,
    Down,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    pub rating: Rating,
    pub comment: Option<String>,
}
