//! Sign-up, sign-in, organisation switching and `me`.

use axum::{extract::State, http::StatusCode};
use kurobe_api::{
    ErrorBody,
    auth::{
        CredentialKind, LoginRequest, MeResponse, Membership, Organisation, SignupRequest, SwitchOrganisationRequest,
        TokenResponse, User,
    },
};
use kurobe_core::{Credential, Permission, Principal, Role};
use kurobe_store::{Context, MembershipRecord, OrganisationRecord, UserRecord};
use uuid::Uuid;

use super::{ApiError, Auth, Json};
use crate::{
    accounts::{self, normalise_email, normalise_name},
    audit::{Actor, Audit},
    auth::{AuthError, password},
    state::AppState,
};

fn organisation(record: &OrganisationRecord) -> Organisation {
    Organisation { id: record.id, name: record.name.clone() }
}

fn token(state: &AppState, user: &UserRecord, org: &OrganisationRecord, role: Role) -> Result<TokenResponse, ApiError> {
    let (access_token, expires_at) = state.jwt.issue(user.id, &user.email, org.id).map_err(ApiError::Internal)?;
    Ok(TokenResponse {
        access_token,
        token_type: "bearer".into(),
        expires_in: state.jwt.ttl_seconds(),
        expires_at,
        organisation: organisation(org),
        role,
    })
}

/// Creates an account and an organisation it owns, and signs in.
#[utoipa::path(post, path = "/v1/auth/signup", tag = "auth", request_body = SignupRequest, responses(
    (status = 201, body = TokenResponse),
    (status = 409, description = "`email_taken`", body = ErrorBody),
    (status = 422, description = "`validation_failed`", body = ErrorBody),
    (status = 403, description = "Sign-up is disabled, or the email is one of the server's operators", body = ErrorBody),
))]
pub async fn signup(
    State(state): State<AppState>,
    audit: Audit,
    Json(req): Json<SignupRequest>,
) -> Result<(StatusCode, Json<TokenResponse>), ApiError> {
    audit.action("auth.signup", None);
    if !state.settings.auth.allow_signup {
        return Err(ApiError::forbidden("sign-up is disabled on this server; ask an administrator for an account"));
    }
    let email = normalise_email(&req.email)?;
    let org_name = normalise_name("organisation_name", &req.organisation_name)?;
    let display_name = req.display_name.as_deref().map(|n| normalise_name("display_name", n)).transpose()?;

    let org_id = Uuid::new_v4();
    let mut tx = state.store.begin(&Context { login_email: Some(email.clone()), ..Context::org(org_id) }).await?;
    accounts::refuse_new_operator_account(&mut tx, &state.settings.security, &email).await?;
    let org = tx.create_organisation(&org_name).await?;
    let user = accounts::create_user(&mut tx, &email, display_name.as_deref(), &req.password).await?;
    tx.add_member(user.id, Role::Owner).await?;
    let actor = Actor { org_id: Some(org.id), user_id: Some(user.id), api_key_id: None };
    audit.success(&mut tx, actor, serde_json::json!({ "email": email, "organisation": org.name })).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(token(&state, &user, &org, Role::Owner)?)))
}

/// Signs in with email and password, into the requested organisation or the oldest one.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = TokenResponse),
    (status = 401, description = "`invalid_credentials`", body = ErrorBody),
))]
pub async fn login(
    State(state): State<AppState>,
    audit: Audit,
    Json(req): Json<LoginRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    audit.action("auth.login", None);
    // A malformed email is simply a wrong one: the answer must not differ.
    let email = normalise_email(&req.email).unwrap_or_default();
    let mut tx = state.store.begin(&Context::login(&email)).await?;
    let user = tx.user_by_email(&email).await?;
    tx.commit().await?;

    let stored_hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let genuine = password::verify(req.password, stored_hash).await.map_err(ApiError::Internal)?;
    let Some(user) = user else { return Err(AuthError::InvalidCredentials.into()) };

    let mut tx = state.store.begin(&Context::user(user.id)).await?;
    let memberships = tx.memberships_of(user.id).await?;
    tx.commit().await?;
    let chosen = match req.organisation_id {
        Some(id) => memberships.iter().find(|m| m.organisation.id == id),
        None => memberships.first(),
    };
    // Attribute the attempt to the organisation it targeted, so its admins see it.
    let target_org = chosen.or(memberships.first()).map(|m| m.organisation.id);
    audit.slot().set_actor(Actor { org_id: target_org, user_id: Some(user.id), api_key_id: None });
    if !genuine {
        return Err(AuthError::InvalidCredentials.into());
    }
    let membership = chosen.ok_or_else(|| ApiError::forbidden("you are not a member of that organisation"))?;

    let actor = Actor { org_id: Some(membership.organisation.id), user_id: Some(user.id), api_key_id: None };
    let mut tx = state.store.begin(&Context::member(membership.organisation.id, user.id)).await?;
    audit.success(&mut tx, actor, serde_json::json!({ "email": email })).await?;
    tx.commit().await?;
    Ok(Json(token(&state, &user, &membership.organisation, membership.role)?))
}

/// Exchanges the current session for one in another of the user's organisations.
#[utoipa::path(post, path = "/v1/auth/switch", tag = "auth", request_body = SwitchOrganisationRequest,
    security(("bearer" = [])), responses(
    (status = 200, body = TokenResponse),
    (status = 403, description = "Called with an API key, which belongs to one organisation", body = ErrorBody),
    (status = 404, description = "Not an organisation of the caller's, as if it did not exist", body = ErrorBody),
))]
pub async fn switch_organisation(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Json(req): Json<SwitchOrganisationRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    audit.action("auth.switch_organisation", Some(req.organisation_id.to_string()));
    if principal.credential != Credential::Session {
        return Err(ApiError::forbidden("API keys belong to one organisation and cannot switch"));
    }
    let mut tx = state.store.begin(&Context::user(principal.user_id)).await?;
    let user = tx.user(principal.user_id).await?.ok_or(ApiError::NotFound("user"))?;
    let memberships = tx.memberships_of(principal.user_id).await?;
    tx.commit().await?;
    let membership = memberships
        .into_iter()
        .find(|m| m.organisation.id == req.organisation_id)
        .ok_or(ApiError::NotFound("organisation"))?;

    let actor = Actor { org_id: Some(membership.organisation.id), user_id: Some(user.id), api_key_id: None };
    let mut tx = state.store.begin(&Context::member(membership.organisation.id, user.id)).await?;
    audit.success(&mut tx, actor, serde_json::json!({ "from": principal.org_id })).await?;
    tx.commit().await?;
    Ok(Json(token(&state, &user, &membership.organisation, membership.role)?))
}

/// The caller: user, organisation, role, what the credential may do, and every membership.
#[utoipa::path(get, path = "/v1/auth/me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = MeResponse),
    (status = 401, body = ErrorBody),
))]
pub async fn me(State(state): State<AppState>, Auth(principal): Auth) -> Result<Json<MeResponse>, ApiError> {
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let user = tx.user(principal.user_id).await?.ok_or(ApiError::NotFound("user"))?;
    let memberships = tx.memberships_of(principal.user_id).await?;
    tx.commit().await?;
    let current =
        memberships.iter().find(|m| m.organisation.id == principal.org_id).ok_or(ApiError::NotFound("organisation"))?;
    Ok(Json(MeResponse {
        user: User { id: user.id, email: user.email, display_name: user.display_name },
        organisation: organisation(&current.organisation),
        role: principal.role,
        credential: match principal.credential {
            Credential::Session => CredentialKind::Session,
            Credential::ApiKey { .. } => CredentialKind::ApiKey,
        },
        permissions: permissions(&principal),
        operator: principal.operator,
        memberships: memberships.iter().map(membership).collect(),
    }))
}

fn permissions(principal: &Principal) -> Vec<Permission> {
    Permission::ALL.iter().copied().filter(|p| principal.can(*p)).collect()
}

fn membership(record: &MembershipRecord) -> Membership {
    Membership { organisation: organisation(&record.organisation), role: record.role }
}
