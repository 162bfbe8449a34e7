//! API keys: created for the caller, shown once, listed without secrets, revoked.

use axum::{extract::State, http::StatusCode};
use kurobe_api::{
    ErrorBody,
    api_keys::{ApiKey, CreateApiKeyRequest, CreatedApiKey},
};
use kurobe_core::{Credential, Permission, Principal};
use kurobe_store::{ApiKeyRecord, Context};
use uuid::Uuid;

use super::{ApiError, Auth, Json, Path, require};
use crate::{
    accounts,
    audit::{Actor, Audit},
    auth::api_key::display_prefix,
    state::AppState,
};

fn api_key(record: ApiKeyRecord) -> ApiKey {
    ApiKey {
        id: record.id,
        name: record.name,
        prefix: display_prefix(record.id),
        scopes: record.scopes,
        created_by: record.created_by,
        created_at: record.created_at,
        expires_at: record.expires_at,
        last_used_at: record.last_used_at,
        revoked_at: record.revoked_at,
    }
}

/// Admins see and revoke every key of the organisation; others only their own.
fn sees_all_keys(principal: &Principal) -> bool {
    principal.can(Permission::MembersManage)
}

#[utoipa::path(get, path = "/v1/api-keys", tag = "api-keys", security(("bearer" = [])), responses(
    (status = 200, body = Vec<ApiKey>),
    (status = 403, body = ErrorBody),
))]
pub async fn list(State(state): State<AppState>, Auth(principal): Auth) -> Result<Json<Vec<ApiKey>>, ApiError> {
    require(&principal, Permission::ApiKeysManage)?;
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let keys = tx.api_keys().await?;
    tx.commit().await?;
    let all = sees_all_keys(&principal);
    Ok(Json(keys.into_iter().filter(|k| all || k.created_by == principal.user_id).map(api_key).collect()))
}

/// Creates a key for the caller. Its scopes default to everything the caller may do, and
/// can never exceed it.
#[utoipa::path(post, path = "/v1/api-keys", tag = "api-keys", security(("bearer" = [])),
    request_body = CreateApiKeyRequest, responses(
    (status = 201, body = CreatedApiKey),
    (status = 403, body = ErrorBody),
    (status = 422, body = ErrorBody),
))]
pub async fn create(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Json(req): Json<CreateApiKeyRequest>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    audit.action("api_key.create", None);
    require(&principal, Permission::ApiKeysManage)?;
    let allowed: Vec<Permission> = Permission::ALL.iter().copied().filter(|p| principal.can(*p)).collect();
    let scopes = match req.scopes {
        Some(mut scopes) => {
            scopes.sort_by_key(|p| p.as_str());
            scopes.dedup();
            if let Some(excess) = scopes.iter().find(|p| !allowed.contains(p)) {
                let holder = match principal.credential {
                    Credential::Session => format!("the {} role", principal.role),
                    Credential::ApiKey { .. } => "the API key making this request".into(),
                };
                return Err(ApiError::invalid(format!("scope `{excess}` exceeds what {holder} may do")));
            }
            scopes
        }
        None => allowed,
    };
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let issued = accounts::issue_api_key(&mut tx, principal.user_id, &req.name, &scopes, req.expires_at).await?;
    audit.action("api_key.create", Some(issued.record.id.to_string()));
    let details = serde_json::json!({ "name": issued.record.name, "scopes": scopes, "expires_at": req.expires_at });
    audit.success(&mut tx, Actor::from(&principal), details).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(CreatedApiKey { key: issued.full, api_key: api_key(issued.record) })))
}

#[utoipa::path(delete, path = "/v1/api-keys/{id}", tag = "api-keys", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, description = "The revoked key", body = ApiKey),
    (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody),
))]
pub async fn revoke(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Path(id): Path<Uuid>,
) -> Result<Json<ApiKey>, ApiError> {
    audit.action("api_key.revoke", Some(id.to_string()));
    require(&principal, Permission::ApiKeysManage)?;
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let visible = tx.api_key(id).await?.filter(|k| sees_all_keys(&principal) || k.created_by == principal.user_id);
    if visible.is_none() {
        return Err(ApiError::NotFound("API key"));
    }
    let revoked = tx.revoke_api_key(id).await?.ok_or(ApiError::NotFound("API key"))?;
    audit.success(&mut tx, Actor::from(&principal), serde_json::json!({ "name": revoked.name })).await?;
    tx.commit().await?;
    state.tenants.changed().await;
    Ok(Json(api_key(revoked)))
}
