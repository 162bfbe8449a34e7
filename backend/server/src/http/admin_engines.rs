//! The engine registry for administrators: what runs, and reloading it.

use axum::extract::State;
use kurobe_api::{
    ErrorBody, ErrorCode,
    engines::{EnginesStatus, ReloadResult},
};
use kurobe_core::Permission;
use kurobe_engines::ReloadOutcome;
use kurobe_store::Context;

use super::{ApiError, Auth, Json, require};
use crate::{
    audit::{Actor, Audit},
    engines::status,
    state::AppState,
};

#[utoipa::path(get, path = "/v1/admin/engines", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, body = EnginesStatus),
    (status = 403, body = ErrorBody),
))]
pub async fn get(State(state): State<AppState>, Auth(principal): Auth) -> Result<Json<EnginesStatus>, ApiError> {
    require(&principal, Permission::EnginesManage)?;
    Ok(Json(status(&state.engines)))
}

/// Reads the engines file again. An invalid file is refused with `engines_invalid` and the
/// running registry stays.
#[utoipa::path(post, path = "/v1/admin/engines/reload", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, body = ReloadResult),
    (status = 403, body = ErrorBody),
    (status = 422, description = "`engines_invalid`: the file was refused", body = ErrorBody),
))]
pub async fn reload(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
) -> Result<Json<ReloadResult>, ApiError> {
    audit.action("engines.reload", None);
    require(&principal, Permission::EnginesManage)?;
    let outcome = match state.engines.reload() {
        ReloadOutcome::Applied { .. } => "applied",
        ReloadOutcome::Unchanged { .. } => "unchanged",
        ReloadOutcome::RolledBack { error, .. } => {
            state.metrics.engine_reload_failures.inc();
            return Err(ApiError::Invalid { code: ErrorCode::EnginesInvalid, message: error.to_string() });
        }
    };
    let status = status(&state.engines);
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    audit
        .success(&mut tx, Actor::from(&principal), serde_json::json!({ "outcome": outcome, "version": status.version }))
        .await?;
    tx.commit().await?;
    Ok(Json(ReloadResult { outcome: outcome.to_owned(), status }))
}
