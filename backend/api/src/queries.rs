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

/// Asks a question of a data source in plain language. With `Accept: text/event-stream`
/// the answer streams as stage events instead (see [`StreamEvent`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AskRequest {
    pub datasource_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "revenue by region in 2024"))]
    pub question: String,
    /// A text-to-SQL engine of the registry by name; the organisation's choice otherwise.
    pub engine: Option<String>,
}

/// Asks the data source's semantic model directly, as Cube's query API does: measures,
/// dimensions, filters, a time dimension with a granularity and a date range, order and
/// limit. The SQL it compiles to goes through the same guard, policies, cache, history and
/// audit as any other.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SemanticQueryRequest {
    pub datasource_id: Uuid,
    /// `{"measures": ["orders.count"], "dimensions": ["regions.name"], "filters": [{"member":
    /// "orders.status", "operator": "equals", "values": ["shipped"]}], "time_dimension":
    /// {"dimension": "orders.order_date", "granularity": "month", "date_range": ["2024-01-01",
    /// "2024-12-31"]}, "order": [{"member": "orders.count", "direction": "desc"}], "limit": 10}`.
    /// Operators: equals, not_equals, in, not_in, gt, gte, lt, lte, between, before, after,
    /// contains, set, not_set. Granularities: day, week, month, quarter, year.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub query: serde_json::Value,
}

/// Milliseconds spent in each stage; stages a request did not go through are 0.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timings {
    /// Schema linking and finding verified examples.
    pub context_ms: f64,
    /// The text-to-SQL engine, self-correction included.
    pub generate_ms: f64,
    pub guard_ms: f64,
    /// Cache lookups (in-process and Redis), hit or miss.
    pub cache_ms: f64,
    /// The warehouse's own time; 0 on a cache hit.
    pub execute_ms: f64,
    pub chart_ms: f64,
    pub total_ms: f64,
}

/// Whether the rows came from the result cache.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CacheInfo {
    pub hit: bool,
    /// Seconds since the rows were read from the warehouse.
    pub age_seconds: f64,
}

/// How the SQL of a question was produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Generation {
    /// The registry engine that answered.
    pub engine: String,
    pub model: Option<String>,
    /// What the engine understood, e.g. "counting orders, grouped by region, in 2024".
    pub interpretation: Option<String>,
    /// 0 to 1, for engines that can tell.
    pub confidence: Option<f64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Estimated from the engine's configured prices.
    pub cost_usd: Option<f64>,
    /// Whether a second round fixed SQL the guard or the warehouse rejected.
    pub corrected: bool,
    /// Engines of the fallback chain that failed before this one answered.
    pub failed_engines: Vec<String>,
}

/// The answer to a question or to SQL.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueryResponse {
    /// The history entry of this query.
    pub query_id: Uuid,
    pub datasource_id: Uuid,
    /// The question asked; absent for SQL.
    pub question: Option<String>,
    /// The SQL that ran: rendered by the guard from the checked query, with the row cap.
    pub sql: String,
    /// What the SQL computes, in a sentence.
    pub explanation: Option<String>,
    /// Present for questions.
    pub generation: Option<Generation>,
    pub columns: Vec<kurobe_connector::Column>,
    /// Values in column order. Decimals and 128-bit integers are strings, so nothing is
    /// rounded on the way.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<Value>>))]
    pub rows: Vec<Vec<serde_json::Value>>,
    pub row_count: usize,
    /// More rows existed than the data source's row cap let through.
    pub truncated: bool,
    pub chart: ChartSpec,
    pub cache: CacheInfo,
    pub timings: Timings,
}

/// One event of a streamed answer, sent as a server-sent event whose `event:` is the
/// variant's name and whose `data:` is this JSON. A stream ends with `done` or `error`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The tables schema linking chose for the question.
    Context {
        tables: Vec<String>,
    },
    /// The SQL the guard accepted.
    Sql {
        sql: String,
        explanation: Option<String>,
        engine: Option<String>,
    },
    /// The query is running (or being read from the cache).
    Executing,
    Result {
        columns: Vec<kurobe_connector::Column>,
        row_count: usize,
        truncated: bool,
        cache: CacheInfo,
    },
    Chart {
        chart: ChartSpec,
    },
    /// The whole answer, as the JSON response would carry it.
    Done {
        answer: Box<QueryResponse>,
    },
    Error {
        error: crate::ErrorDetail,
    },
}

impl StreamEvent {
    pub fn name(&self) -> &'static str {
        match self {
            StreamEvent::Context { .. } => "context",
            StreamEvent::Sql { .. } => "sql",
            StreamEvent::Executing => "executing",
            StreamEvent::Result { .. } => "result",
            StreamEvent::Chart { .. } => "chart",
            StreamEvent::Done { .. } => "done",
            StreamEvent::Error { .. } => "error",
        }
    }
}

/// Filters of the query history, as query parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datasource_id: Option<Uuid>,
    /// `succeeded`, `failed` or `refused`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Uuid>,
    /// Words to find in the question or the SQL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Entries older than this id (the `next_before` of the previous page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Uuid>,
    /// 1 to 200; 50 by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
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
    /// Pinned questions are kept warm in the result cache by a background job, which runs
    /// them as the member who pinned them.
    pub pinned: bool,
    pub pinned_by: Option<Uuid>,
    pub pinned_at: Option<chrono::DateTime<chrono::Utc>>,
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
