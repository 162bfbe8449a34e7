//! The engine registry for administrators: what runs, and reloading it.

use axum::extract::State;
use kurobe_api::{
    ErrorBody, ErrorCode,
    engines::{EnginesStatus, ReloadResult},
};
use kurobe_core::Permission;
use kurobe_engines::ReloadOutcome;
use kurobe_store::Context;

use super::{ApiError, Auth, Json, require, require_operator};
use crate::{
    audit::{Actor, Audit},
    engines::status,
    state::AppState,
};

/// The running registry. Where its file lives and why a reload was refused are the server's
/// own business: only its operators see `file` and `last_error`.
#[utoipa::path(get, path = "/v1/admin/engines", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, body = EnginesStatus),
    (status = 403, body = ErrorBody),
))]
pub async fn get(State(state): State<AppState>, Auth(principal): Auth) -> Result<Json<EnginesStatus>, ApiError> {
    require(&principal, Permission::EnginesManage)?;
    let mut status = status(&state.engines);
    if !principal.operator {
        status.file = None;
        status.last_error = None;
    }
    Ok(Json(status))
}

/// Reads the engines file again, for the server's operators. An invalid file is refused with
/// `engines_invalid` and the running registry stays.
#[utoipa::path(post, path = "/v1/admin/engines/reload", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, body = ReloadResult),
    (status = 403, description = "Not an administrator, or not one of the server's operators", body = ErrorBody),
    (status = 422, description = "`engines_invalid`: the file was refused", body = ErrorBody),
))]
pub async fn reload(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
) -> Result<Json<ReloadResult>, ApiError> {
    audit.action("engines.reload", None);
    require(&principal, Permission::EnginesManage)?;
    require_operator(&principal, "reloading the engines file")?;
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
