//! The ask path: a question (or SQL an analyst edited) becomes guarded SQL, rows from the
//! cache or the warehouse, and a chart — with one history row and one audit row, committed
//! together, whatever the outcome. `POST /v1/query`, `POST /v1/sql`, re-runs and the CLI's
//! `kurobe ask --url` all come through [`run`].

pub mod cache;
mod chart;
pub mod embedded;
pub mod export;
mod generate;
pub mod group_commit;
pub mod known_answers;
mod record;

use std::{collections::BTreeMap, sync::Arc, time::Instant};

use tracing::Instrument as _;

use kurobe_api::{
    ErrorCode,
    datasources::DataSourceConfig,
    queries::{CacheInfo, QueryResponse, StreamEvent, Timings},
};
use kurobe_connector::{Connector, ConnectorError, ExecRequest, Limits, Schema};
use kurobe_core::{Permission, Principal};
use kurobe_store::{Context, DataSourceRecord, QueryStatus};
use uuid::Uuid;

use self::{
    cache::{CacheScope, CachedResult},
    record::Recorder,
};
use crate::{
    audit::Audit,
    datasources::{
        parse_limits, policies, schemas,
        semantic::{self, SemanticLayer},
    },
    http::{ApiError, require},
    state::AppState,
};

/// The longest SQL accepted, in bytes.
pub const MAX_SQL: usize = 100_000;
/// The longest question accepted, in characters.
pub const MAX_QUESTION: usize = 2_000;

/// What is asked.
#[derive(Debug, Clone)]
pub enum Input {
    Question {
        question: String,
        engine: Option<String>,
    },
    Sql(String),
    /// Measures, dimensions and filters of the data source's semantic model.
    Semantic(Box<kurobe_semantic::SemanticQuery>),
}

/// Stage events for a streamed answer; `None` when the caller wants only the result.
pub type Events = Option<tokio::sync::mpsc::UnboundedSender<StreamEvent>>;

fn emit(events: &Events, event: StreamEvent) {
    if let Some(sender) = events {
        // A client that went away stops reading; the answer is still completed and recorded.
        sender.send(event).ok();
    }
}

fn millis(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// Why a query ended without rows, with what it had produced by then for the record.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: ApiError,
    pub status: QueryStatus,
    /// The SQL that was generated or submitted, when there was some.
    pub sql: Option<String>,
    pub details: serde_json::Value,
}

impl Failure {
    fn new(error: ApiError, status: QueryStatus) -> Self {
        Self { error, status, sql: None, details: serde_json::json!({}) }
    }
}

/// What the stages share: the data source, its schema and connector, the caller.
pub(crate) struct Source<'a> {
    pub state: &'a AppState,
    pub principal: &'a Principal,
    pub record: Arc<DataSourceRecord>,
    pub schema_generation: i64,
    pub schema: Arc<Schema>,
    pub connector: Arc<dyn Connector>,
    pub request: ExecRequest,
    pub cache_ttl_seconds: u32,
    pub max_rows: u64,
    /// The row policies that apply to the caller, and the values they read.
    pub policies: Vec<kurobe_guard::RowPolicy>,
    pub policy_values: BTreeMap<String, String>,
}

impl<'a> Source<'a> {
    /// The caller's data source, with its schema, connector and limits.
    pub async fn open(state: &'a AppState, principal: &'a Principal, datasource_id: Uuid) -> Result<Self, ApiError> {
        let record = state
            .tenants
            .datasource(principal.org_id, datasource_id, async {
                let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
                let record = tx.data_source(datasource_id).await?;
                tx.commit().await?;
                Ok::<_, ApiError>(record)
            })
            .await?
            .ok_or(ApiError::NotFound("data source"))?;
        let (schema_generation, schema) = schemas::current(state, &record).await?;
        let connector = state.datasources.connector(&record, &state.master_keys, &state.settings.connectors).await?;
        let limits = parse_limits(&record.limits);
        let policies = policies::for_role(&policies::stored(&record)?, principal.role)?;
        let policy_values =
            if policies.is_empty() { BTreeMap::new() } else { policies::values(state, principal).await? };
        let request = ExecRequest {
            limits: Limits {
                timeout: std::time::Duration::from_secs(limits.timeout_seconds.into()),
                max_rows: limits.max_rows as usize,
                ..Limits::default()
            },
            settings: context_settings(state, principal, &record).await?,
        };
        Ok(Source {
            state,
            principal,
            schema_generation,
            schema,
            connector,
            request,
            cache_ttl_seconds: limits.cache_ttl_seconds,
            max_rows: limits.max_rows.into(),
            policies,
            policy_values,
            record,
        })
    }

    /// The data source's semantic model and offline engine, built once per version of the
    /// model. A model file that does not load is an error here (and logged), which leaves
    /// the offline engine out while the other engines still answer.
    pub fn semantic_layer(&self) -> Result<Arc<SemanticLayer>, ApiError> {
        let dir = &self.state.settings.engines.semantic_dir;
        let version = semantic::version(dir, &self.record, self.schema_generation);
        if let Some(layer) = self.state.datasources.semantic_layer(self.record.id, version) {
            return Ok(layer);
        }
        match semantic::build(dir, &self.record, &self.schema) {
            Ok(layer) => {
                self.state.datasources.remember_semantic_layer(self.record.id, version, layer.clone());
                Ok(layer)
            }
            Err(error) => {
                tracing::warn!(%error, datasource = %self.record.id, "the semantic model does not load");
                Err(ApiError::invalid(format!("the data source's semantic model does not load: {error}")))
            }
        }
    }

    /// The organisation's choice of engine of this kind, if it made one.
    pub async fn chosen_engine(&self, kind: kurobe_engines::Kind) -> Result<Option<String>, ApiError> {
        let settings = organisation_settings(self.state, self.principal.org_id).await?;
        Ok(settings["engines"][kind.as_str()].as_str().map(str::to_owned))
    }

    /// Checks SQL with the guard in the connector's dialect, against the known schema, and
    /// injects the caller's row policies.
    pub fn guard(&self, sql: &str) -> Result<kurobe_guard::Guarded, kurobe_guard::Refusal> {
        let _span = tracing::info_span!("guard", dialect = %self.connector.dialect()).entered();
        kurobe_guard::check_with_policies(
            sql,
            self.connector.dialect(),
            &self.schema,
            self.max_rows,
            &self.policies,
            &self.policy_values,
        )
    }

    /// Reads the rows of guarded SQL from the cache, or from the warehouse once for all
    /// the callers asking for them at the same time.
    pub async fn rows(&self, sql: &str) -> Result<Arc<CachedResult>, ConnectorError> {
        let scope = CacheScope {
            org_id: self.record.org_id,
            datasource_id: self.record.id,
            config_version: self.record.config_version,
            schema_generation: self.schema_generation,
            settings: &self.request.settings,
        };
        let execute = async {
            let started = Instant::now();
            let result = self
                .connector
                .execute(sql, &self.request)
                .instrument(tracing::info_span!("execute", engine = %self.connector.dialect()))
                .await?;
            Ok(CachedResult {
                columns: result.columns,
                rows: json_rows(&result.rows),
                truncated: result.truncated,
                computed_at: chrono::Utc::now(),
                execute_ms: millis(started),
                ttl_seconds: self.cache_ttl_seconds,
            })
        };
        self.state
            .cache
            .get_or_run(cache::key(&scope, sql), self.cache_ttl_seconds, execute)
            .instrument(tracing::info_span!("cache"))
            .await
    }
}

/// Rows as the API sends them: decimals and 128-bit integers as strings, nothing rounded.
pub fn json_rows(rows: &[Vec<kurobe_connector::Value>]) -> Vec<Vec<serde_json::Value>> {
    rows.iter().map(|row| row.iter().map(|v| serde_json::to_value(v).unwrap_or_default()).collect()).collect()
}

/// The warehouse's failure in the API's words.
pub fn query_error(error: ConnectorError) -> ApiError {
    match error {
        ConnectorError::Query(message) => ApiError::Invalid { code: ErrorCode::QueryFailed, message },
        ConnectorError::Timeout(_) => ApiError::Invalid { code: ErrorCode::QueryTimeout, message: error.to_string() },
        ConnectorError::Connection(_) | ConnectorError::Config(_) => ApiError::DataSource(error.to_string()),
        ConnectorError::Internal(_) => ApiError::Internal(error.into()),
    }
}

/// The organisation's settings, through the tenant cache.
pub async fn organisation_settings(state: &AppState, org_id: Uuid) -> Result<Arc<serde_json::Value>, ApiError> {
    state
        .tenants
        .org_settings(org_id, async {
            let mut tx = state.store.begin(&Context::org(org_id)).await?;
            let settings = tx.organisation_settings().await?;
            tx.commit().await?;
            Ok(settings)
        })
        .await
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
        let member = crate::auth::member(state, principal.org_id, principal.user_id).await?;
        member.map(|m| m.email.clone()).unwrap_or_default()
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

fn check_input(input: &Input) -> Result<(), ApiError> {
    match input {
        Input::Question { question, .. } if question.trim().is_empty() => {
            Err(ApiError::invalid("the question is empty"))
        }
        Input::Question { question, .. } if question.chars().count() > MAX_QUESTION => {
            Err(ApiError::invalid(format!("the question is longer than {MAX_QUESTION} characters")))
        }
        Input::Sql(sql) if sql.trim().is_empty() => Err(ApiError::invalid("the SQL is empty")),
        Input::Sql(sql) if sql.len() > MAX_SQL => {
            Err(ApiError::invalid(format!("the SQL is longer than {MAX_SQL} bytes")))
        }
        _ => Ok(()),
    }
}

/// Answers a question or runs SQL on a data source, recording the outcome. Each stage is
/// a span under this one (context, generation, guard, cache, execute, chart), carrying the
/// organisation and the data source.
#[tracing::instrument(name = "ask", skip_all, fields(org = %principal.org_id, datasource = %datasource_id))]
pub async fn run(
    state: &AppState,
    audit: &Audit,
    principal: &Principal,
    datasource_id: Uuid,
    input: Input,
    events: &Events,
) -> Result<QueryResponse, ApiError> {
    require(principal, Permission::QueriesRun)?;
    check_input(&input)?;
    let started = Instant::now();
    let source = Source::open(state, principal, datasource_id).await?;
    let recorder = Recorder::new(state, audit, principal, &source.record, &input, started);
    match answer(&source, &input, events, started).await {
        Ok((mut response, generated_sql)) => {
            response.query_id = recorder.query_id();
            recorder.success(&response, generated_sql.as_deref()).await?;
            response.timings.total_ms = millis(started);
            state.metrics.record_answer(&response);
            Ok(response)
        }
        Err(failure) => {
            state.metrics.record_failure(failure.error.code());
            recorder.failure(&failure).await?;
            Err(failure.error)
        }
    }
}

/// SQL that was submitted (or compiled from a semantic query): guarded, then read.
async fn submitted(
    source: &Source<'_>,
    sql: &str,
    events: &Events,
    timings: &mut Timings,
) -> Result<generate::Answered, Failure> {
    let guard_started = Instant::now();
    let guarded = source.guard(sql).map_err(|refusal| Failure {
        sql: Some(sql.to_owned()),
        ..Failure::new(refusal.into(), QueryStatus::Refused)
    })?;
    timings.guard_ms = millis(guard_started);
    emit(events, StreamEvent::Sql { sql: guarded.sql.clone(), explanation: None, engine: None });
    emit(events, StreamEvent::Executing);
    let cache_started = Instant::now();
    let rows = source.rows(&guarded.sql).await.map_err(|error| Failure {
        sql: Some(guarded.sql.clone()),
        ..Failure::new(query_error(error), QueryStatus::Failed)
    })?;
    Ok(generate::Answered {
        sql: guarded.sql,
        generated_sql: None,
        explanation: None,
        generation: None,
        rows,
        cache_started,
    })
}

/// The stages after the data source is known: SQL (generated or submitted), rows, chart.
async fn answer(
    source: &Source<'_>,
    input: &Input,
    events: &Events,
    started: Instant,
) -> Result<(QueryResponse, Option<String>), Failure> {
    let mut timings = Timings::default();
    let (question, answered) = match input {
        Input::Question { question, engine } => {
            let answered = generate::answer_question(source, question, engine.as_deref(), events, &mut timings).await?;
            (Some(question.clone()), answered)
        }
        Input::Sql(sql) => (None, submitted(source, sql, events, &mut timings).await?),
        Input::Semantic(query) => {
            let layer = source.semantic_layer().map_err(|e| Failure::new(e, QueryStatus::Refused))?;
            let compiled = kurobe_semantic::compile(&layer.model, query, source.connector.dialect())
                .map_err(|e| Failure::new(ApiError::invalid(e.to_string()), QueryStatus::Refused))?;
            let mut answered = submitted(source, &compiled.sql, events, &mut timings).await?;
            answered.generated_sql = Some(compiled.sql);
            (None, answered)
        }
    };
    let rows = answered.rows;
    let hit = rows.computed_at < chrono::Utc::now() - chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
    timings.execute_ms = if hit { 0.0 } else { rows.execute_ms };
    timings.cache_ms = (millis(answered.cache_started) - timings.execute_ms).max(0.0);
    let cache = CacheInfo {
        hit,
        age_seconds: ((chrono::Utc::now() - rows.computed_at).num_milliseconds().max(0) as f64) / 1000.0,
    };
    emit(
        events,
        StreamEvent::Result {
            columns: rows.columns.clone(),
            row_count: rows.rows.len(),
            truncated: rows.truncated,
            cache: cache.clone(),
        },
    );

    let chart_started = Instant::now();
    let chart = chart::choose(source, question.as_deref().unwrap_or(&answered.sql), &rows)
        .instrument(tracing::info_span!("chart"))
        .await;
    timings.chart_ms = millis(chart_started);
    emit(events, StreamEvent::Chart { chart: chart.clone() });

    let response = QueryResponse {
        query_id: Uuid::nil(),
        datasource_id: source.record.id,
        question,
        sql: answered.sql,
        explanation: answered.explanation,
        generation: answered.generation,
        columns: rows.columns.clone(),
        rows: rows.rows.clone(),
        row_count: rows.rows.len(),
        truncated: rows.truncated,
        chart,
        cache,
        timings,
    };
    Ok((response, answered.generated_sql))
}
