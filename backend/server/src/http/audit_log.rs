//! Reading the organisation's audit log.

use axum::extract::State;
use kurobe_api::{
    ErrorBody,
    audit::{AuditEntry, AuditPage, AuditQuery},
};
use kurobe_core::Permission;
use kurobe_store::{AuditFilter, AuditRecord, Context};

use super::{ApiError, Auth, Json, Query, require};
use crate::state::AppState;

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 500;

fn entry(record: AuditRecord) -> AuditEntry {
    AuditEntry {
        id: record.id,
        seq: record.seq,
        created_at: record.created_at,
        actor_user_id: record.actor_user_id,
        actor_api_key_id: record.actor_api_key_id,
        action: record.action,
        target: record.target,
        outcome: record.outcome,
        error_code: record.error_code,
        ip: record.ip,
        user_agent: record.user_agent,
        request_id: record.request_id,
        details: record.details,
    }
}

/// The organisation's audit log, newest first.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery), responses(
    (status = 200, body = AuditPage),
    (status = 400, body = ErrorBody),
    (status = 403, body = ErrorBody),
    (status = 422, description = "`validation_failed`: a limit out of range", body = ErrorBody),
))]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Query(query): Query<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    require(&principal, Permission::AuditRead)?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    let filter = AuditFilter {
        action: query.action,
        outcome: query.outcome,
        actor_user_id: query.actor_user_id,
        since: query.since,
        until: query.until,
        before: query.before,
        limit: limit + 1,
    };
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let mut rows = tx.audit_entries(&filter).await?;
    tx.commit().await?;
    let next_before = (rows.len() as i64 > limit).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.seq)
    });
    Ok(Json(AuditPage { items: rows.into_iter().map(entry).collect(), next_before: next_before.flatten() }))
}
