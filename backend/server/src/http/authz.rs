//! The authenticated caller as an extractor, and the permission check every route makes.

use std::sync::Arc;

use axum::{extract::FromRequestParts, http::request::Parts};
use kurobe_api::ErrorCode;
use kurobe_core::{Credential, Permission, Principal};

use super::ApiError;
use crate::{
    audit::{Actor, AuditSlot},
    auth::authenticate,
    state::AppState,
};

/// The verified caller of a route; a route that takes it cannot be reached anonymously.
#[derive(Debug, Clone)]
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let slot = parts.extensions.get::<Arc<AuditSlot>>().cloned().unwrap_or_default();
        let principal = authenticate(state, &parts.headers, &slot).await?;
        slot.set_actor(Actor::from(&principal));
        state.limits.check(state, &principal).await?;
        Ok(Auth(principal))
    }
}

/// Refuses the request unless the caller's role and, for an API key, its scopes allow
/// `permission`. The refusal is audited by the request middleware.
pub fn require(principal: &Principal, permission: Permission) -> Result<(), ApiError> {
    if !principal.role.allows(permission) {
        return Err(ApiError::forbidden(format!("the {} role does not allow `{permission}`", principal.role)));
    }
    if let Credential::ApiKey { scopes, .. } = &principal.credential
        && !scopes.contains(&permission)
    {
        return Err(ApiError::Forbidden {
            code: ErrorCode::InsufficientScope,
            message: format!("this API key lacks the `{permission}` scope"),
        });
    }
    Ok(())
}

/// Refuses a server-wide action unless the caller operates the server
/// (`security.operators`); organisation roles stop at their own organisation.
pub fn require_operator(principal: &Principal, what: &str) -> Result<(), ApiError> {
    if principal.operator {
        return Ok(());
    }
    Err(ApiError::forbidden(format!(
        "{what} acts on the whole server: only its operators may (security.operators names them)"
    )))
}
