//! Questions and SQL: `POST /v1/query`, `POST /v1/sql` and re-runs, answered as JSON or,
//! when the client accepts `text/event-stream`, as stage events while they happen.

use std::convert::Infallible;

use axum::{
    extract::State,
    http::{HeaderMap, header::ACCEPT},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use kurobe_api::{
    ErrorBody,
    queries::{AskRequest, QueryResponse, SemanticQueryRequest, SqlRequest, StreamEvent},
};
use kurobe_core::{Permission, Principal};
use kurobe_store::Context;
use uuid::Uuid;

use super::{ApiError, Auth, Json, Path, require};
use crate::{
    ask::{self, Input, Source},
    audit::{Actor, Audit, spawn_in_request},
    state::AppState,
};

fn wants_stream(headers: &HeaderMap) -> bool {
    headers.get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| accept.contains("text/event-stream"))
}

fn sse_event(event: &StreamEvent) -> Event {
    Event::default()
        .event(event.name())
        .json_data(event)
        .unwrap_or_else(|_| Event::default().event("error").data("{\"event\":\"error\"}"))
}

/// Answers as JSON, or as a stream of stage events ending in `done` or `error`. A stream
/// runs on its own task: a client that disconnects does not cut the query short, so its
/// history and audit rows are still written.
async fn respond(
    state: AppState,
    audit: Audit,
    principal: Principal,
    datasource_id: Uuid,
    input: Input,
    stream: bool,
) -> Result<Response, ApiError> {
    if !stream {
        let answer = ask::run(&state, &audit, &principal, datasource_id, input, &None).await?;
        return Ok(Json(answer).into_response());
    }
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    spawn_in_request(async move {
        let events = Some(sender);
        let last = match ask::run(&state, &audit, &principal, datasource_id, input, &events).await {
            Ok(answer) => StreamEvent::Done { answer: Box::new(answer) },
            Err(error) => {
                audit.record_unrecorded(&state, error.code()).await;
                StreamEvent::Error { error: error.detail() }
            }
        };
        if let Some(sender) = events {
            sender.send(last).ok();
        }
    });
    let events = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let event = receiver.recv().await?;
        Some((Ok::<_, Infallible>(sse_event(&event)), receiver))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()).into_response())
}

/// Asks a question of a data source in plain language.
#[utoipa::path(post, path = "/v1/query", tag = "queries", security(("bearer" = [])), request_body = AskRequest,
    responses(
    (status = 200, description = "The answer; with `Accept: text/event-stream`, a stream of `StreamEvent`s", content(
        (QueryResponse = "application/json"), (StreamEvent = "text/event-stream"))),
    (status = 404, description = "No such data source", body = ErrorBody),
    (status = 422, description = "`cannot_answer` (with suggestions), `sql_refused`, `query_failed` or `unknown_engine`", body = ErrorBody),
    (status = 502, description = "`engine_failed` or `datasource_unavailable`", body = ErrorBody),
    (status = 504, description = "`query_timeout`", body = ErrorBody),
))]
pub async fn ask_question(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    headers: HeaderMap,
    Json(req): Json<AskRequest>,
) -> Result<Response, ApiError> {
    audit.action("query.ask", Some(req.datasource_id.to_string()));
    let input = Input::Question { question: req.question, engine: req.engine };
    respond(state, audit, principal, req.datasource_id, input, wants_stream(&headers)).await
}

/// Runs SQL through the guard on a data source.
#[utoipa::path(post, path = "/v1/sql", tag = "queries", security(("bearer" = [])), request_body = SqlRequest,
    responses(
    (status = 200, description = "The answer; with `Accept: text/event-stream`, a stream of `StreamEvent`s", content(
        (QueryResponse = "application/json"), (StreamEvent = "text/event-stream"))),
    (status = 404, description = "No such data source", body = ErrorBody),
    (status = 422, description = "`sql_refused` by the guard, or `query_failed` on the data source", body = ErrorBody),
    (status = 502, description = "`datasource_unavailable`", body = ErrorBody),
    (status = 504, description = "`query_timeout`", body = ErrorBody),
))]
pub async fn run_sql(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    headers: HeaderMap,
    Json(req): Json<SqlRequest>,
) -> Result<Response, ApiError> {
    audit.action("query.sql", Some(req.datasource_id.to_string()));
    respond(state, audit, principal, req.datasource_id, Input::Sql(req.sql), wants_stream(&headers)).await
}

/// Asks the data source's semantic model: measures, dimensions, filters, time grain.
#[utoipa::path(post, path = "/v1/semantic/query", tag = "queries", security(("bearer" = [])),
    request_body = SemanticQueryRequest, responses(
    (status = 200, description = "The answer; with `Accept: text/event-stream`, a stream of `StreamEvent`s", content(
        (QueryResponse = "application/json"), (StreamEvent = "text/event-stream"))),
    (status = 404, description = "No such data source", body = ErrorBody),
    (status = 422, description = "`validation_failed` (a member the model does not have, a malformed query) or `sql_refused`", body = ErrorBody),
))]
pub async fn semantic_query(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    headers: HeaderMap,
    Json(req): Json<SemanticQueryRequest>,
) -> Result<Response, ApiError> {
    audit.action("query.semantic", Some(req.datasource_id.to_string()));
    let query: kurobe_semantic::SemanticQuery =
        serde_json::from_value(req.query).map_err(|e| ApiError::invalid(format!("the semantic query: {e}")))?;
    let input = Input::Semantic(Box::new(query));
    respond(state, audit, principal, req.datasource_id, input, wants_stream(&headers)).await
}

/// Runs a query of the history again: a question is asked again (the engine may answer
/// differently if the schema or examples changed); SQL runs again as it was submitted.
/// The re-run is a new history entry.
#[utoipa::path(post, path = "/v1/queries/{id}/rerun", tag = "queries", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "A query of the history")),
    responses(
    (status = 200, description = "The new answer", content(
        (QueryResponse = "application/json"), (StreamEvent = "text/event-stream"))),
    (status = 404, description = "No such query", body = ErrorBody),
    (status = 422, body = ErrorBody),
))]
pub async fn rerun(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    audit.action("query.rerun", Some(id.to_string()));
    require(&principal, Permission::QueriesRun)?;
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let previous = tx.query(id).await?.ok_or(ApiError::NotFound("query"))?;
    tx.commit().await?;
    let datasource_id = previous.datasource_id.ok_or(ApiError::NotFound("data source"))?;
    let input = match (previous.question, previous.sql) {
        (Some(question), _) => Input::Question { question, engine: None },
        (None, Some(sql)) => Input::Sql(sql),
        (None, None) => return Err(ApiError::NotFound("query")),
    };
    respond(state, audit, principal, datasource_id, input, wants_stream(&headers)).await
}

/// The result of a query as CSV, read again from the warehouse and streamed: the SQL is
/// guarded again, and the data source's row cap applies.
#[utoipa::path(get, path = "/v1/queries/{id}/result.csv", tag = "queries", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "A query of the history that succeeded")),
    responses(
    (status = 200, description = "RFC 4180 CSV with a header row", body = String, content_type = "text/csv"),
    (status = 404, description = "No such query", body = ErrorBody),
    (status = 409, description = "The query did not succeed, so it has no result", body = ErrorBody),
    (status = 422, description = "`sql_refused`: the SQL no longer passes the guard", body = ErrorBody),
))]
pub async fn export_csv(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    audit.action("query.export", Some(id.to_string()));
    require(&principal, Permission::QueriesRun)?;
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let query = tx.query(id).await?.ok_or(ApiError::NotFound("query"))?;
    tx.commit().await?;
    let (Some(datasource_id), Some(sql), "succeeded") = (query.datasource_id, query.sql, query.status.as_str()) else {
        return Err(ApiError::conflict("only a query that succeeded has a result to export"));
    };
    let source = Source::open(&state, &principal, datasource_id).await?;
    let body = ask::export::csv(&source, &sql)?;
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    audit.success(&mut tx, Actor::from(&principal), serde_json::json!({ "query_id": id })).await?;
    tx.commit().await?;
    let headers = [
        (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
        (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"kurobe-{id}.csv\"")),
    ];
    Ok((headers, axum::body::Body::from_stream(body)).into_response())
}
