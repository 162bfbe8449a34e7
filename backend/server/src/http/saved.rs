//! Saved questions, and thumbs up or down on answers.

use axum::{extract::State, http::StatusCode};
use kurobe_api::{
    ErrorBody,
    queries::{FeedbackRequest, Rating, SaveQuestionRequest, SavedQuestion},
};
use kurobe_core::{Permission, Principal};
use kurobe_store::{Context, SavedQuestionRecord};
use uuid::Uuid;

use super::{ApiError, Auth, Json, Path, require};
use crate::{
    accounts::normalise_name,
    audit::{Actor, Audit},
    state::AppState,
};

fn saved(record: SavedQuestionRecord) -> SavedQuestion {
    SavedQuestion {
        id: record.id,
        name: record.name,
        datasource_id: record.datasource_id,
        question: record.question,
        sql: record.sql,
        created_by: record.created_by,
        created_at: record.created_at,
        pinned: record.pinned_at.is_some(),
        pinned_by: record.pinned_by,
        pinned_at: record.pinned_at,
    }
}

#[utoipa::path(get, path = "/v1/saved", tag = "saved", security(("bearer" = [])), responses(
    (status = 200, body = Vec<SavedQuestion>),
    (status = 403, body = ErrorBody),
))]
pub async fn list(State(state): State<AppState>, Auth(principal): Auth) -> Result<Json<Vec<SavedQuestion>>, ApiError> {
    require(&principal, Permission::QueriesRead)?;
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let records = tx.saved_questions().await?;
    tx.commit().await?;
    Ok(Json(records.into_iter().map(saved).collect()))
}

#[utoipa::path(post, path = "/v1/saved", tag = "saved", security(("bearer" = [])), request_body = SaveQuestionRequest,
    responses(
    (status = 201, body = SavedQuestion),
    (status = 404, description = "No such data source", body = ErrorBody),
    (status = 409, description = "The name is taken", body = ErrorBody),
    (status = 422, description = "`validation_failed`: the name or the SQL", body = ErrorBody),
))]
pub async fn create(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Json(req): Json<SaveQuestionRequest>,
) -> Result<(StatusCode, Json<SavedQuestion>), ApiError> {
    audit.action("saved_question.create", None);
    require(&principal, Permission::QueriesRun)?;
    let name = normalise_name("name", &req.name)?;
    if req.sql.trim().is_empty() || req.sql.len() > 100_000 {
        return Err(ApiError::invalid("sql must have 1 to 100000 bytes"));
    }
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    tx.data_source(req.datasource_id).await?.ok_or(ApiError::NotFound("data source"))?;
    let id = Uuid::now_v7();
    audit.action("saved_question.create", Some(id.to_string()));
    let record = tx
        .save_question(id, principal.user_id, &name, req.datasource_id, req.question.as_deref(), &req.sql)
        .await
        .map_err(|err| match err.constraint() {
            Some("saved_questions_org_name_key") => {
                ApiError::conflict("a saved question with this name already exists")
            }
            _ => err.into(),
        })?;
    audit.success(&mut tx, Actor::from(&principal), serde_json::json!({ "name": name })).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(saved(record))))
}

#[utoipa::path(delete, path = "/v1/saved/{id}", tag = "saved", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 204),
    (status = 404, body = ErrorBody),
))]
pub async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    audit.action("saved_question.delete", Some(id.to_string()));
    require(&principal, Permission::QueriesRun)?;
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    if !tx.delete_saved_question(id).await? {
        return Err(ApiError::NotFound("saved question"));
    }
    audit.success(&mut tx, Actor::from(&principal), serde_json::json!({})).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Pins the question: the cache-warming job keeps its result warm, running it as the
/// caller (with the caller's role and row policies at each run). Pinning again moves the pin
/// to the caller.
#[utoipa::path(put, path = "/v1/saved/{id}/pin", tag = "saved", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = SavedQuestion),
    (status = 404, body = ErrorBody),
))]
pub async fn pin(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Path(id): Path<Uuid>,
) -> Result<Json<SavedQuestion>, ApiError> {
    audit.action("saved_question.pin", Some(id.to_string()));
    set_pin(&state, &audit, &principal, id, Some(principal.user_id)).await
}

#[utoipa::path(delete, path = "/v1/saved/{id}/pin", tag = "saved", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = SavedQuestion),
    (status = 404, body = ErrorBody),
))]
pub async fn unpin(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Path(id): Path<Uuid>,
) -> Result<Json<SavedQuestion>, ApiError> {
    audit.action("saved_question.unpin", Some(id.to_string()));
    set_pin(&state, &audit, &principal, id, None).await
}

async fn set_pin(
    state: &AppState,
    audit: &Audit,
    principal: &Principal,
    id: Uuid,
    by: Option<Uuid>,
) -> Result<Json<SavedQuestion>, ApiError> {
    require(principal, Permission::QueriesRun)?;
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let record = tx.pin_saved_question(id, by).await?.ok_or(ApiError::NotFound("saved question"))?;
    audit.success(&mut tx, Actor::from(principal), serde_json::json!({ "pinned": by.is_some() })).await?;
    tx.commit().await?;
    Ok(Json(saved(record)))
}

/// Thumbs up or down on an answer; a second rating by the same person replaces the first.
#[utoipa::path(post, path = "/v1/queries/{id}/feedback", tag = "queries", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = FeedbackRequest, responses(
    (status = 204),
    (status = 404, body = ErrorBody),
))]
pub async fn feedback(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Path(id): Path<Uuid>,
    Json(req): Json<FeedbackRequest>,
) -> Result<StatusCode, ApiError> {
    audit.action("query.feedback", Some(id.to_string()));
    require(&principal, Permission::QueriesRun)?;
    if req.comment.as_ref().is_some_and(|c| c.chars().count() > 2000) {
        return Err(ApiError::invalid("comment must have at most 2000 characters"));
    }
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    tx.query(id).await?.ok_or(ApiError::NotFound("query"))?;
    let rating = match req.rating {
        Rating::Up => 1,
        Rating::Down => -1,
    };
    tx.rate_query(id, principal.user_id, rating, req.comment.as_deref()).await?;
    audit.success(&mut tx, Actor::from(&principal), serde_json::json!({ "rating": req.rating })).await?;
    tx.commit().await?;
    // A vote may make the answer a verified example, which the tenant cache holds.
    state.tenants.changed().await;
    Ok(StatusCode::NO_CONTENT)
}
