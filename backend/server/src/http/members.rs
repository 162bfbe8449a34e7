//! Members of the caller's organisation and their roles.

use axum::{extract::State, http::StatusCode};
use kurobe_api::{
    ErrorBody,
    members::{AddMemberRequest, Member, UpdateMemberRequest},
};
use kurobe_core::{Permission, Principal, Role};
use kurobe_store::{Context, MemberRecord, Scoped};
use uuid::Uuid;

use super::{ApiError, Auth, Json, Path, require};
use crate::{
    accounts::{self, normalise_email, normalise_name},
    audit::{Actor, Audit},
    state::AppState,
};

fn member(record: MemberRecord) -> Member {
    Member {
        user_id: record.user_id,
        email: record.email,
        display_name: record.display_name,
        role: record.role,
        joined_at: record.joined_at,
        attributes: serde_json::from_value(record.attributes).unwrap_or_default(),
    }
}

fn check_may_assign(principal: &Principal, role: Role) -> Result<(), ApiError> {
    if principal.role.may_assign(role) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!("the {} role cannot assign or change the {role} role", principal.role)))
    }
}

/// Refuses a change that would leave the organisation without an owner.
async fn keep_an_owner(tx: &mut Scoped, current: Role, new: Option<Role>) -> Result<(), ApiError> {
    if current == Role::Owner && new != Some(Role::Owner) && tx.lock_owner_count().await? <= 1 {
        return Err(ApiError::conflict("an organisation must keep at least one owner"));
    }
    Ok(())
}

#[utoipa::path(get, path = "/v1/members", tag = "members", security(("bearer" = [])), responses(
    (status = 200, body = Vec<Member>),
    (status = 403, body = ErrorBody),
))]
pub async fn list(State(state): State<AppState>, Auth(principal): Auth) -> Result<Json<Vec<Member>>, ApiError> {
    require(&principal, Permission::MembersManage)?;
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let members = tx.members().await?;
    tx.commit().await?;
    Ok(Json(members.into_iter().map(member).collect()))
}

/// Adds an existing account, or creates one with the given initial password.
#[utoipa::path(post, path = "/v1/members", tag = "members", security(("bearer" = [])), request_body = AddMemberRequest,
    responses(
    (status = 201, body = Member),
    (status = 403, description = "Not allowed to add members, or a new account for one of the server's operators", body = ErrorBody),
    (status = 409, description = "Already a member", body = ErrorBody),
    (status = 422, description = "New account without a password", body = ErrorBody),
))]
pub async fn add(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Json(req): Json<AddMemberRequest>,
) -> Result<(StatusCode, Json<Member>), ApiError> {
    audit.action("member.add", None);
    require(&principal, Permission::MembersManage)?;
    check_may_assign(&principal, req.role)?;
    let email = normalise_email(&req.email)?;
    let display_name = req.display_name.as_deref().map(|n| normalise_name("display_name", n)).transpose()?;

    let context = Context { login_email: Some(email.clone()), ..Context::member(principal.org_id, principal.user_id) };
    let mut tx = state.store.begin(&context).await?;
    accounts::refuse_new_operator_account(&mut tx, &state.settings.security, &email).await?;
    let user = match tx.user_by_email(&email).await? {
        Some(user) => user,
        None => {
            let password = req
                .password
                .as_deref()
                .ok_or_else(|| ApiError::invalid("no account has this email; give a `password` to create one"))?;
            accounts::create_user(&mut tx, &email, display_name.as_deref(), password).await?
        }
    };
    audit.action("member.add", Some(user.id.to_string()));
    tx.add_member(user.id, req.role).await.map_err(|err| match err.constraint() {
        Some("memberships_pkey") => ApiError::conflict("this account is already a member"),
        _ => err.into(),
    })?;
    let added = tx.member(user.id).await?.ok_or(ApiError::NotFound("member"))?;
    audit.success(&mut tx, Actor::from(&principal), serde_json::json!({ "email": email, "role": req.role })).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(member(added))))
}

#[utoipa::path(patch, path = "/v1/members/{user_id}", tag = "members", security(("bearer" = [])),
    params(("user_id" = Uuid, Path)), request_body = UpdateMemberRequest, responses(
    (status = 200, body = Member),
    (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody),
    (status = 409, description = "Would leave no owner", body = ErrorBody),
    (status = 422, description = "`validation_failed`: an attribute's name or value", body = ErrorBody),
))]
pub async fn update(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Path(user_id): Path<Uuid>,
    Json(req): Json<UpdateMemberRequest>,
) -> Result<Json<Member>, ApiError> {
    audit.action("member.update", Some(user_id.to_string()));
    require(&principal, Permission::MembersManage)?;
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let current = tx.member(user_id).await?.ok_or(ApiError::NotFound("member"))?;
    check_may_assign(&principal, current.role)?;
    if let Some(role) = req.role {
        check_may_assign(&principal, role)?;
        keep_an_owner(&mut tx, current.role, Some(role)).await?;
        tx.set_member_role(user_id, role).await?;
    }
    if let Some(attributes) = &req.attributes {
        check_attributes(attributes)?;
        tx.set_member_attributes(user_id, &serde_json::json!(attributes)).await?;
    }
    let updated = tx.member(user_id).await?.ok_or(ApiError::NotFound("member"))?;
    let details = serde_json::json!({ "from": current.role, "to": updated.role, "attributes": req.attributes });
    audit.success(&mut tx, Actor::from(&principal), details).await?;
    tx.commit().await?;
    state.tenants.changed().await;
    Ok(Json(member(updated)))
}

/// Attribute names are plain words (they appear in policy placeholders); values are short.
fn check_attributes(attributes: &std::collections::BTreeMap<String, String>) -> Result<(), ApiError> {
    if attributes.len() > 50 {
        return Err(ApiError::invalid("a member may have at most 50 attributes"));
    }
    for (name, value) in attributes {
        let plain = name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if name.is_empty() || name.len() > 64 || !plain {
            return Err(ApiError::invalid(format!("attribute name `{name}` must be 1 to 64 letters, digits or _")));
        }
        if value.len() > 1_000 {
            return Err(ApiError::invalid(format!("the value of `{name}` is longer than 1000 bytes")));
        }
    }
    Ok(())
}

#[utoipa::path(delete, path = "/v1/members/{user_id}", tag = "members", security(("bearer" = [])),
    params(("user_id" = Uuid, Path)), responses(
    (status = 204),
    (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody),
    (status = 409, description = "Would leave no owner", body = ErrorBody),
))]
pub async fn remove(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Path(user_id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    audit.action("member.remove", Some(user_id.to_string()));
    require(&principal, Permission::MembersManage)?;
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let current = tx.member(user_id).await?.ok_or(ApiError::NotFound("member"))?;
    check_may_assign(&principal, current.role)?;
    keep_an_owner(&mut tx, current.role, None).await?;
    tx.remove_member(user_id).await?;
    audit.success(&mut tx, Actor::from(&principal), serde_json::json!({ "role": current.role })).await?;
    tx.commit().await?;
    state.tenants.changed().await;
    Ok(StatusCode::NO_CONTENT)
}
