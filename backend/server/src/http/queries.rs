//! Running SQL: every statement passes the guard, runs within the data source's limits,
//! and leaves one history row and one audit row, whatever its outcome.

use std::time::Instant;

use axum::extract::State;
use kurobe_api::{
    ErrorBody, ErrorCode,
    datasources::DataSourceConfig,
    queries::{QueryResponse, SqlRequest, Timings},
};
use kurobe_connector::{ConnectorError, ExecRequest, Limits};
use kurobe_core::{Permission, Principal};
use kurobe_engines::visualization;
use kurobe_store::{Context, DataSourceRecord, NewQuery, QueryStatus};
use uuid::Uuid;

use super::{ApiError, Auth, Json, require};
use crate::{
    audit::{Actor, Audit},
    datasources::{parse_limits, schemas},
    state::AppState,
};

/// The longest SQL accepted, in bytes.
const MAX_SQL: usize = 100_000;

fn millis(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// The data source's context settings with the caller's values in place.
async fn context_settings(
    state: &AppState,
    principal: &Principal,
    record: &DataSourceRecord,
) -> Result<Vec<(String, String)>, ApiError> {
    let Ok(DataSourceConfig::Postgres { context_settings, .. }) = serde_json::from_value(record.config.clone()) else {
        return Ok(Vec::new());
    };
    let email = if context_settings.values().any(|t| t.contains("{{user.email}}")) {
        let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
        let user = tx.user(principal.user_id).await?;
        tx.commit().await?;
        user.map(|u| u.email).unwrap_or_default()
    } else {
        String::new()
    };
    Ok(context_settings
        .into_iter()
        .map(|(name, template)| {
            let value = template
                .replace("{{org.id}}", &principal.org_id.to_string())
                .replace("{{user.id}}", &principal.user_id.to_string())
                .replace("{{user.role}}", principal.role.as_str())
                .replace("{{user.email}}", &email);
            (name, value)
        })
        .collect())
}

/// The history row of a query that did not succeed, in its own transaction (the audit row
/// comes from the request middleware).
async fn record_failure(state: &AppState, org_id: Uuid, entry: &NewQuery<'_>) -> Result<(), kurobe_store::StoreError> {
    let mut tx = state.store.begin(&Context::org(org_id)).await?;
    tx.record_query(entry).await?;
    tx.commit().await
}

fn query_error(error: ConnectorError) -> ApiError {
    match error {
        ConnectorError::Query(message) => ApiError::Invalid { code: ErrorCode::QueryFailed, message },
        ConnectorError::Timeout(_) => ApiError::Invalid { code: ErrorCode::QueryTimeout, message: error.to_string() },
        ConnectorError::Connection(_) | ConnectorError::Config(_) => ApiError::DataSource(error.to_string()),
        ConnectorError::Internal(_) => ApiError::Internal(error.into()),
    }
}

/// Runs SQL through the guard on a data source.
#[utoipa::path(post, path = "/v1/sql", tag = "queries", security(("bearer" = [])), request_body = SqlRequest,
    responses(
    (status = 200, body = QueryResponse),
    (status = 404, description = "No such data source", body = ErrorBody),
    (status = 422, description = "`sql_refused` by the guard, or `query_failed` on the data source", body = ErrorBody),
    (status = 502, description = "`datasource_unavailable`", body = ErrorBody),
    (status = 504, description = "`query_timeout`", body = ErrorBody),
))]
pub async fn run_sql(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Json(req): Json<SqlRequest>,
) -> Result<Json<QueryResponse>, ApiError> {
    audit.action("query.sql", Some(req.datasource_id.to_string()));
    require(&principal, Permission::QueriesRun)?;
    if req.sql.len() > MAX_SQL {
        return Err(ApiError::invalid(format!("the SQL is longer than {MAX_SQL} bytes")));
    }
    let started = Instant::now();
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let record = tx.data_source(req.datasource_id).await?.ok_or(ApiError::NotFound("data source"))?;
    tx.commit().await?;
    let (_, schema) = schemas::current(&state, &record).await?;
    let connector = state.datasources.connector(&record, &state.master_keys, &state.settings.connectors).await?;
    let limits = parse_limits(&record.limits);

    let query_id = Uuid::now_v7();
    let history = |sql: &str, status, error_code: Option<ErrorCode>, row_count| NewQuery {
        id: query_id,
        user_id: principal.user_id,
        api_key_id: principal.api_key_id(),
        datasource_id: record.id,
        question: None,
        sql: &req.sql,
        status,
        error_code: error_code.map(ErrorCode::as_str),
        row_count,
        duration_ms: millis(started),
        details: serde_json::json!({ "executed_sql": sql }),
    };

    let guard_started = Instant::now();
    let guarded = match kurobe_guard::check(&req.sql, connector.dialect(), &schema, limits.max_rows.into()) {
        Ok(guarded) => guarded,
        Err(refusal) => {
            record_failure(
                &state,
                principal.org_id,
                &history("", QueryStatus::Refused, Some(ErrorCode::SqlRefused), None),
            )
            .await?;
            return Err(ApiError::Invalid { code: ErrorCode::SqlRefused, message: refusal.to_string() });
        }
    };
    let guard_ms = millis(guard_started);

    let request = ExecRequest {
        limits: Limits {
            timeout: std::time::Duration::from_secs(limits.timeout_seconds.into()),
            max_rows: limits.max_rows as usize,
            ..Limits::default()
        },
        settings: context_settings(&state, &principal, &record).await?,
    };
    let execute_started = Instant::now();
    let result = match connector.execute(&guarded.sql, &request).await {
        Ok(result) => result,
        Err(error) => {
            let error = query_error(error);
            record_failure(
                &state,
                principal.org_id,
                &history(&guarded.sql, QueryStatus::Failed, Some(error.code()), None),
            )
            .await?;
            return Err(error);
        }
    };
    let execute_ms = millis(execute_started);

    let chart_started = Instant::now();
    let chart = visualization::choose(&result.columns, result.rows.len());
    let chart_ms = millis(chart_started);

    let row_count = result.rows.len();
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    tx.record_query(&history(&guarded.sql, QueryStatus::Succeeded, None, i64::try_from(row_count).ok())).await?;
    let details = serde_json::json!({ "query_id": query_id, "rows": row_count, "truncated": result.truncated });
    audit.success(&mut tx, Actor::from(&principal), details).await?;
    tx.commit().await?;

    let rows = result
        .rows
        .iter()
        .map(|row| row.iter().map(|v| serde_json::to_value(v).unwrap_or_default()).collect())
        .collect();
    Ok(Json(QueryResponse {
        query_id,
        datasource_id: record.id,
        sql: guarded.sql,
        columns: result.columns,
        rows,
        row_count,
        truncated: result.truncated,
        chart,
        timings: Timings { guard_ms, execute_ms, chart_ms, total_ms: millis(started) },
    }))
}
