//! Asking a DuckDB file directly, with no server and no services: the offline engine on
//! the file's semantic model, the guard, DuckDB, the chart rules. What `kurobe ask` runs
//! without `--url`. Nothing is recorded: there is no history and no audit log here.

use std::{path::Path, time::Instant};

use kurobe_api::{
    ErrorCode,
    queries::{CacheInfo, QueryResponse, Timings},
};
use kurobe_connector::{Connector, Dialect, ExecRequest, IntrospectOptions};
use kurobe_duckdb::{DuckDbConnector, DuckDbSource};
use kurobe_engines::{
    OfflineTextToSql,
    prompt::PromptContext,
    text_to_sql::{EngineError, TextToSql},
    visualization,
};
use kurobe_semantic::{RuleBased, SemanticModel};
use uuid::Uuid;

use super::{generate::generation, json_rows, millis, query_error};
use crate::http::ApiError;

async fn open(database: &Path) -> Result<DuckDbConnector, ApiError> {
    let path = database.to_path_buf();
    tokio::task::spawn_blocking(move || DuckDbConnector::open(DuckDbSource::File(path)))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(|e| ApiError::DataSource(e.to_string()))
}

/// A semantic model drafted from the DuckDB file's schema, as YAML for a person to refine.
pub async fn draft_model(database: &Path) -> Result<String, ApiError> {
    let schema = open(database).await?.introspect(&IntrospectOptions::default()).await.map_err(query_error)?;
    Ok(SemanticModel::draft(&schema).to_yaml())
}

/// Answers `question` from the DuckDB file at `database`, with the semantic model in
/// `semantic` (drafted from the file's schema when `None`).
pub async fn ask(database: &Path, semantic: Option<&Path>, question: &str) -> Result<QueryResponse, ApiError> {
    let started = Instant::now();
    let connector = open(database).await?;
    let schema = connector.introspect(&IntrospectOptions::default()).await.map_err(query_error)?;
    let model = SemanticModel::for_schema(semantic, &schema).map_err(|e| ApiError::invalid(e.to_string()))?;
    let context_ms = millis(started);

    let generate_started = Instant::now();
    let engine = RuleBased::new(&model);
    let context = PromptContext {
        dialect: Dialect::DuckDb,
        tables: &[],
        semantic: None,
        examples: &[],
        rule_based: Some(&engine),
        today: chrono::Utc::now().date_naive(),
        trace_id: None,
    };
    let generated =
        OfflineTextToSql::new("offline").generate(question, &context, None).await.map_err(|error| match error {
            EngineError::CannotAnswer { reason, suggestions } => {
                ApiError::CannotAnswer { message: reason, suggestions }
            }
            other => ApiError::Invalid { code: ErrorCode::EngineFailed, message: other.to_string() },
        })?;
    let generate_ms = millis(generate_started);

    let guard_started = Instant::now();
    let request = ExecRequest::default();
    let guarded = kurobe_guard::check(&generated.sql, Dialect::DuckDb, &schema, request.limits.max_rows as u64)
        .map_err(ApiError::from)?;
    let guard_ms = millis(guard_started);

    let result = connector.execute(&guarded.sql, &request).await.map_err(query_error)?;
    let execute_ms = result.elapsed.as_secs_f64() * 1000.0;
    let chart_started = Instant::now();
    let chart = visualization::choose(&result.columns, result.rows.len());
    let chart_ms = millis(chart_started);
    Ok(QueryResponse {
        query_id: Uuid::nil(),
        datasource_id: Uuid::nil(),
        question: Some(question.to_owned()),
        sql: guarded.sql,
        generation: Some(generation(&generated, false, &[])),
        explanation: Some(generated.explanation),
        rows: json_rows(&result.rows),
        row_count: result.rows.len(),
        truncated: result.truncated,
        columns: result.columns,
        chart,
        cache: CacheInfo::default(),
        timings: Timings {
            context_ms,
            generate_ms,
            guard_ms,
            cache_ms: 0.0,
            execute_ms,
            chart_ms,
            total_ms: millis(started),
        },
    })
}
