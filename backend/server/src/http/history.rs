//! The organisation's query history.

use axum::extract::State;
use kurobe_api::{
    ErrorBody,
    queries::{HistoryQuery, QueryPage, QueryRecord},
};
use kurobe_core::Permission;
use kurobe_store::{Context, HistoryFilter};
use uuid::Uuid;

use super::{ApiError, Auth, Json, Path, Query, require};
use crate::state::AppState;

const MAX_LIMIT: i64 = 200;

fn record(r: kurobe_store::QueryRecord) -> QueryRecord {
    QueryRecord {
        id: r.id,
        datasource_id: r.datasource_id,
        user_id: r.user_id,
        api_key_id: r.api_key_id,
        question: r.question,
        sql: r.sql,
        status: r.status,
        error_code: r.error_code,
        row_count: r.row_count,
        duration_ms: r.duration_ms,
        created_at: r.created_at,
    }
}

#[utoipa::path(get, path = "/v1/queries", tag = "queries", security(("bearer" = [])), params(HistoryQuery), responses(
    (status = 200, body = QueryPage),
    (status = 400, body = ErrorBody),
    (status = 403, body = ErrorBody),
    (status = 422, description = "`validation_failed`: a limit out of range or an unknown status", body = ErrorBody),
))]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Query(query): Query<HistoryQuery>,
) -> Result<Json<QueryPage>, ApiError> {
    require(&principal, Permission::QueriesRead)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    if let Some(status) = &query.status
        && !["succeeded", "failed", "refused"].contains(&status.as_str())
    {
        return Err(ApiError::invalid("status must be succeeded, failed or refused"));
    }
    let filter = HistoryFilter {
        datasource_id: query.datasource_id,
        status: query.status,
        user_id: query.user_id,
        search: query.q.filter(|q| !q.trim().is_empty()),
        before: query.before,
        limit: limit + 1,
    };
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let mut rows = tx.queries(&filter).await?;
    tx.commit().await?;
    let next_before = (rows.len() as i64 > limit).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id)
    });
    Ok(Json(QueryPage { items: rows.into_iter().map(record).collect(), next_before: next_before.flatten() }))
}

#[utoipa::path(get, path = "/v1/queries/{id}", tag = "queries", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = QueryRecord),
    (status = 404, body = ErrorBody),
))]
pub async fn get(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<Uuid>,
) -> Result<Json<QueryRecord>, ApiError> {
    require(&principal, Permission::QueriesRead)?;
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let found = tx.query(id).await?.ok_or(ApiError::NotFound("query"))?;
    tx.commit().await?;
    Ok(Json(record(found)))
}
