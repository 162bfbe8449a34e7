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
