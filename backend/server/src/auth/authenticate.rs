use axum::http::{HeaderMap, header::AUTHORIZATION};
use chrono::Utc;
use kurobe_core::{Credential, Principal};
use std::sync::Arc;

use kurobe_store::{Context, MemberRecord, StoreError};
use uuid::Uuid;

use super::{api_key, jwt::TokenError};
use crate::{audit::AuditSlot, state::AppState, tenant_cache::Cached};

/// Why a request could not be authenticated. Each variant is one stable error code.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("send credentials as `Authorization: Bearer <access token or API key>`")]
    Missing,
    #[error("the email or password is wrong")]
    InvalidCredentials,
    #[error("the access token is invalid")]
    InvalidToken,
    #[error("the access token has expired; sign in again")]
    TokenExpired,
    #[error("the API key is invalid")]
    InvalidApiKey,
    #[error("the API key has been revoked")]
    ApiKeyRevoked,
    #[error("the API key has expired")]
    ApiKeyExpired,
    /// The credential is genuine but its user no longer belongs to the organisation.
    #[error("you are no longer a member of this organisation")]
    NotAMember,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Verifies the request's credential and loads the caller's current role. What is learnt on
/// the way (the organisation, the user, the key) goes into `slot`, so a refusal is audited
/// in the organisation it concerns.
pub async fn authenticate(state: &AppState, headers: &HeaderMap, slot: &AuditSlot) -> Result<Principal, AuthError> {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or(AuthError::Missing)?;
    if bearer.starts_with(api_key::PREFIX) {
        authenticate_key(state, bearer, slot).await
    } else {
        authenticate_session(state, bearer, slot).await
    }
}

async fn authenticate_session(state: &AppState, token: &str, slot: &AuditSlot) -> Result<Principal, AuthError> {
    let claims = state.jwt.verify(token).map_err(|e| match e {
        TokenError::Expired => AuthError::TokenExpired,
        TokenError::Invalid => AuthError::InvalidToken,
    })?;
    // The organisation named by a token is only trusted once a membership confirms it; a
    // refusal before that is audited outside any organisation.
    let member = member(state, claims.org_id, claims.sub).await?.ok_or(AuthError::NotAMember)?;
    slot.identify(claims.org_id, Some(claims.sub), None);
    Ok(Principal {
        org_id: claims.org_id,
        user_id: claims.sub,
        role: member.role,
        credential: Credential::Session,
        operator: state.settings.security.is_operator(&member.email),
    })
}

async fn authenticate_key(state: &AppState, presented: &str, slot: &AuditSlot) -> Result<Principal, AuthError> {
    let (key_id, secret) = api_key::parse(presented).ok_or(AuthError::InvalidApiKey)?;
    let key = state
        .tenants
        .api_key(key_id, async {
            let mut tx = state.store.begin(&Context::api_key(key_id)).await?;
            let key = tx.api_key(key_id).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(key)
        })
        .await?;
    let key = key.filter(|key| api_key::matches(secret, &key.value.secret_digest)).ok_or(AuthError::InvalidApiKey)?;
    let Cached { value: key, fresh } = key;
    // Only a caller holding the secret learns, and is audited as, the key's organisation.
    slot.identify(key.org_id, Some(key.created_by), Some(key.id));
    if key.revoked_at.is_some() {
        return Err(AuthError::ApiKeyRevoked);
    }
    if key.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(AuthError::ApiKeyExpired);
    }
    let member = member(state, key.org_id, key.created_by).await?.ok_or(AuthError::NotAMember)?;
    // `last_used_at` is written when the key is read from the database, so at most once per
    // tenant cache lifetime rather than on every request.
    if fresh {
        let mut tx = state.store.begin(&Context::member(key.org_id, key.created_by)).await?;
        tx.touch_api_key(key.id).await?;
        tx.commit().await?;
    }
    Ok(Principal {
        org_id: key.org_id,
        user_id: key.created_by,
        role: member.role,
        credential: Credential::ApiKey { id: key.id, scopes: key.scopes.clone() },
        operator: state.settings.security.is_operator(&member.email),
    })
}

/// The member's current record in the organisation, `None` once they left it.
pub async fn member(state: &AppState, org_id: Uuid, user_id: Uuid) -> Result<Option<Arc<MemberRecord>>, StoreError> {
    state
        .tenants
        .member(org_id, user_id, async {
            let mut tx = state.store.begin(&Context::member(org_id, user_id)).await?;
            let member = tx.member(user_id).await?;
            tx.commit().await?;
            Ok(member)
        })
        .await
}
