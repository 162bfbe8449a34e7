//! From a question to rows: schema linking and verified examples, the text-to-SQL chain,
//! the guard, and one self-correction round when the guard or the warehouse rejects the
//! generated SQL — the rejection is fed back to the engine that wrote it.

use std::{collections::BTreeSet, sync::Arc, time::Instant};

use tracing::Instrument as _;

use kurobe_api::{
    ErrorCode,
    queries::{Generation, StreamEvent, Timings},
};
use kurobe_connector::{ConnectorError, Table};
use kurobe_engines::{
    Kind,
    linking::{relevant_tables, words},
    prompt::{Example, PromptContext},
    text_to_sql::{EngineError, Generated, TextToSql},
};
use kurobe_store::{Context, QueryStatus};

use super::{
    Events, Failure, Source,
    cache::CachedResult,
    emit,
    known_answers::{Facts, KnownAnswer},
    millis, query_error,
};
use crate::{datasources::semantic, http::ApiError};

/// The most tables a prompt shows (join paths may add a few).
const MAX_TABLES: usize = 12;
/// The most verified examples a prompt shows.
const MAX_EXAMPLES: usize = 3;
/// How many of the data source's verified examples are ranked for a question.
const EXAMPLE_POOL: i64 = 200;

/// SQL the guard accepted and the rows it read.
pub(crate) struct Answered {
    pub sql: String,
    /// The engine's SQL before the guard rendered it; what the history keeps.
    pub generated_sql: Option<String>,
    pub explanation: Option<String>,
    pub generation: Option<Generation>,
    pub rows: Arc<CachedResult>,
    /// When the cache was asked, for the cache and execution timings.
    pub cache_started: Instant,
}

/// The verified examples most like the question, by shared words.
async fn examples(source: &Source<'_>, question: &str) -> Result<Vec<Example>, ApiError> {
    let (state, org_id, datasource_id) = (source.state, source.principal.org_id, source.record.id);
    let pool = state
        .tenants
        .examples(org_id, datasource_id, async {
            let mut tx = state.store.begin(&Context::org(org_id)).await?;
            let pool = tx.verified_examples(datasource_id, EXAMPLE_POOL).await?;
            tx.commit().await?;
            Ok::<_, ApiError>(pool)
        })
        .await?;
    let asked: BTreeSet<String> = words(question).into_iter().collect();
    let mut ranked: Vec<(usize, Example)> = pool
        .iter()
        .map(|e| {
            let shared = words(&e.question).into_iter().filter(|w| asked.contains(w)).count();
            (shared, Example { question: e.question.clone(), sql: e.sql.clone() })
        })
        .filter(|(shared, _)| *shared > 0)
        .collect();
    ranked.sort_by_key(|(shared, _)| std::cmp::Reverse(*shared));
    Ok(ranked.into_iter().take(MAX_EXAMPLES).map(|(_, e)| e).collect())
}

pub(crate) fn generation(
    generated: &Generated,
    corrected: bool,
    failed_engines: &[(String, EngineError)],
) -> Generation {
    Generation {
        engine: generated.engine.clone(),
        model: generated.model.clone(),
        interpretation: generated.interpretation.clone(),
        confidence: generated.confidence,
        input_tokens: generated.usage.input_tokens,
        output_tokens: generated.usage.output_tokens,
        cost_usd: generated.cost_usd,
        corrected,
        failed_engines: failed_engines.iter().map(|(name, _)| name.clone()).collect(),
    }
}

/// What one engine's attempt came to.
enum Attempt {
    Answered(Answered),
    /// The engine failed before producing usable SQL: try the next one.
    EngineFailed(EngineError),
    /// The SQL was refused or failed even after the correction round: final.
    Rejected(Failure),
}

/// Generates with one engine, then guards and runs the SQL, correcting once.
async fn attempt(
    source: &Source<'_>,
    engine: &dyn TextToSql,
    question: &str,
    context: &PromptContext<'_>,
    events: &Events,
    timings: &mut Timings,
    failed_engines: &[(String, EngineError)],
) -> Attempt {
    let mut correction: Option<(String, String)> = None;
    loop {
        let generate_started = Instant::now();
        let span = tracing::info_span!("generation", engine = engine.name(), correction = correction.is_some());
        let generated = match engine
            .generate(question, context, correction.as_ref().map(|(s, e)| (s.as_str(), e.as_str())))
            .instrument(span)
            .await
        {
            Ok(generated) => generated,
            Err(error) if correction.is_none() => return Attempt::EngineFailed(error),
            Err(error) => {
                let (sql, first) = correction.unwrap_or_default();
                return Attempt::Rejected(Failure {
                    sql: Some(sql),
                    details: serde_json::json!({ "engine": engine.name(), "first_error": first }),
                    ..Failure::new(
                        ApiError::Invalid {
                            code: ErrorCode::SqlRefused,
                            message: format!("the correction round failed: {error}"),
                        },
                        QueryStatus::Refused,
                    )
                });
            }
        };
        timings.generate_ms += millis(generate_started);
        let corrected = correction.is_some();
        let details = serde_json::json!({
            "engine": generated.engine,
            "model": generated.model,
            "input_tokens": generated.usage.input_tokens,
            "output_tokens": generated.usage.output_tokens,
            "cost_usd": generated.cost_usd,
            "corrected": corrected,
        });

        let guard_started = Instant::now();
        let guarded = source.guard(&generated.sql);
        timings.guard_ms += millis(guard_started);
        let guarded = match guarded {
            Ok(guarded) => guarded,
            Err(refusal) if !corrected => {
                tracing::info!(engine = engine.name(), %refusal, "the guard refused generated SQL; asking for a correction");
                correction = Some((generated.sql, refusal.to_string()));
                continue;
            }
            Err(refusal) => {
                return Attempt::Rejected(Failure {
                    sql: Some(generated.sql),
                    details,
                    ..Failure::new(refusal.into(), QueryStatus::Refused)
                });
            }
        };
        emit(
            events,
            StreamEvent::Sql {
                sql: guarded.sql.clone(),
                explanation: Some(generated.explanation.clone()).filter(|e| !e.is_empty()),
                engine: Some(generated.engine.clone()),
            },
        );
        emit(events, StreamEvent::Executing);
        let cache_started = Instant::now();
        match source.rows(&guarded.sql).await {
            Ok(rows) => {
                return Attempt::Answered(Answered {
                    generation: Some(generation(&generated, corrected, failed_engines)),
                    explanation: Some(generated.explanation).filter(|e| !e.is_empty()),
                    generated_sql: Some(generated.sql),
                    sql: guarded.sql,
                    rows,
                    cache_started,
                });
            }
            Err(ConnectorError::Query(message)) if !corrected => {
                tracing::info!(engine = engine.name(), %message, "the warehouse rejected generated SQL; asking for a correction");
                correction = Some((generated.sql, message));
            }
            Err(error) => {
                return Attempt::Rejected(Failure {
                    sql: Some(guarded.sql),
                    details,
                    ..Failure::new(query_error(error), QueryStatus::Failed)
                });
            }
        }
    }
}

/// A remembered answer guarded (with the caller's policies) and read; `None` when the guard
/// or the warehouse no longer accepts it, to be generated afresh.
async fn replay(source: &Source<'_>, known: &KnownAnswer, timings: &mut Timings) -> Option<Answered> {
    let guard_started = Instant::now();
    let guarded = source.guard(&known.sql).ok()?;
    timings.guard_ms += millis(guard_started);
    let cache_started = Instant::now();
    let rows = source.rows(&guarded.sql).await.ok()?;
    Some(Answered {
        sql: guarded.sql,
        generated_sql: Some(known.sql.clone()),
        explanation: known.explanation.clone(),
        generation: Some(known.generation.clone()),
        rows,
        cache_started,
    })
}

/// Answers a question along the engine chain: the first engine that produces SQL the
/// guard and the warehouse accept wins; an engine that fails hands over to the next.
pub(crate) async fn answer_question(
    source: &Source<'_>,
    question: &str,
    requested: Option<&str>,
    events: &Events,
    timings: &mut Timings,
) -> Result<Answered, Failure> {
    let context_started = Instant::now();
    let refused = |error: ApiError| Failure::new(error, QueryStatus::Refused);
    let failed = |error: ApiError| Failure::new(error, QueryStatus::Failed);
    let requested = match requested {
        Some(name) => Some(name.to_owned()),
        None => source.chosen_engine(Kind::TextToSql).await.map_err(failed)?,
    };
    let loaded = source.state.engines.current();
    let chain = loaded
        .text_to_sql_chain(requested.as_deref())
        .map_err(|error| refused(ApiError::Invalid { code: ErrorCode::UnknownEngine, message: error.to_string() }))?;
    let today = chrono::Utc::now().date_naive();
    // A JSON ask may reuse what a deterministic engine wrote for the same question; a
    // stream walks every stage, so its events stay the same.
    let facts = events.is_none().then(|| Facts {
        org_id: source.principal.org_id,
        datasource_id: source.record.id,
        config_version: source.record.config_version,
        model: semantic::version(&source.state.settings.engines.semantic_dir, &source.record, source.schema_generation),
        registry_version: loaded.version,
        engine: requested.as_deref(),
        tenant_epoch: source.state.tenants.epoch(),
        today,
        question,
    });
    if let Some(facts) = &facts
        && let Some(known) = source.state.answers.get(facts)
    {
        match replay(source, &known, timings).await {
            Some(answered) => return Ok(answered),
            None => source.state.answers.forget(facts),
        }
    }
    let context_span = tracing::info_span!("context");
    let tables: Vec<&Table> = context_span.in_scope(|| relevant_tables(&source.schema, question, MAX_TABLES));
    let examples = examples(source, question).instrument(context_span.clone()).await.map_err(failed)?;
    let layer = context_span.in_scope(|| source.semantic_layer().ok());
    timings.context_ms = millis(context_started);
    emit(events, StreamEvent::Context { tables: tables.iter().map(|t| format!("{}.{}", t.schema, t.name)).collect() });
    let context = PromptContext {
        dialect: source.connector.dialect(),
        tables: &tables,
        semantic: None,
        examples: &examples,
        rule_based: layer.as_ref().map(|l| &l.engine),
        today,
        trace_id: None,
    };

    let mut failures: Vec<(String, EngineError)> = Vec::new();
    for engine in chain {
        let engine = match engine {
            Ok(engine) => engine,
            Err(skipped) => {
                failures.push(skipped);
                continue;
            }
        };
        match attempt(source, engine.as_ref(), question, &context, events, timings, &failures).await {
            Attempt::Answered(answered) => {
                if let Some(facts) = &facts
                    && engine.deterministic()
                    && failures.is_empty()
                    && let (Some(sql), Some(generation)) = (&answered.generated_sql, &answered.generation)
                    && !generation.corrected
                {
                    let known = KnownAnswer {
                        sql: sql.clone(),
                        explanation: answered.explanation.clone(),
                        generation: generation.clone(),
                    };
                    source.state.answers.remember(facts, known);
                }
                return Ok(answered);
            }
            Attempt::Rejected(failure) => return Err(failure),
            Attempt::EngineFailed(error) => {
                tracing::warn!(engine = engine.name(), %error, "text-to-SQL engine failed; trying the next");
                failures.push((engine.name().to_owned(), error));
            }
        }
    }
    let details = serde_json::json!({
        "failed_engines": failures.iter().map(|(name, error)| serde_json::json!({ "engine": name, "error": error.to_string() })).collect::<Vec<_>>(),
    });
    // An engine that understood too little to answer speaks for the chain: its
    // suggestions help more than the other engines' outages.
    if let Some((_, EngineError::CannotAnswer { reason, suggestions })) =
        failures.iter().find(|(_, e)| matches!(e, EngineError::CannotAnswer { .. }))
    {
        return Err(Failure {
            details,
            ..refused(ApiError::CannotAnswer { message: reason.clone(), suggestions: suggestions.clone() })
        });
    }
    let summary: Vec<String> = failures.iter().map(|(name, error)| format!("{name}: {error}")).collect();
    Err(Failure {
        details,
        ..failed(ApiError::Invalid {
            code: ErrorCode::EngineFailed,
            message: format!("no text-to-SQL engine could answer ({})", summary.join("; ")),
        })
    })
}
