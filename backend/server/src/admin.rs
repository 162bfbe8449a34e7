//! Administration from the shell (`kurobe org|user|apikey|demo ...`): the same store
//! operations the API uses, audited as actions of the command line.

use kurobe_core::{AuditOutcome, Permission, Role};
use kurobe_store::{Context, NewAuditEntry, OrganisationRecord, Scoped, Store, UserRecord};
use rand::{Rng, distributions::Alphanumeric, rngs::OsRng};
use uuid::Uuid;

use crate::{
    accounts::{self, IssuedKey, normalise_email, normalise_name},
    http::ApiError,
};

pub const DEMO_ORGANISATION: &str = "Demo";
pub const DEMO_ADMIN_EMAIL: &str = "admin@demo.kurobe.dev";

async fn audit(
    tx: &mut Scoped,
    org_id: Uuid,
    action: &str,
    target: String,
    details: serde_json::Value,
) -> Result<(), ApiError> {
    tx.append_audit(&NewAuditEntry {
        org_id: Some(org_id),
        actor_user_id: None,
        actor_api_key_id: None,
        action: action.into(),
        target: Some(target),
        outcome: AuditOutcome::Success,
        error_code: None,
        ip: None,
        user_agent: Some("kurobe-cli".into()),
        request_id: None,
        details,
    })
    .await?;
    Ok(())
}

/// A password good enough to hand to a person once: 20 alphanumerics, about 119 bits.
pub fn generate_password() -> String {
    OsRng.sample_iter(&Alphanumeric).take(20).map(char::from).collect()
}

pub async fn create_organisation(store: &Store, name: &str) -> Result<OrganisationRecord, ApiError> {
    let name = normalise_name("organisation name", name)?;
    let mut tx = store.begin(&Context::org(Uuid::new_v4())).await?;
    let org = tx.create_organisation(&name).await?;
    audit(&mut tx, org.id, "cli.organisation.create", org.id.to_string(), serde_json::json!({ "name": org.name }))
        .await?;
    tx.commit().await?;
    Ok(org)
}

/// Adds `email` to the organisation with `role`, creating the account with `password` if
/// there is none. Returns the user and whether the account was created.
pub async fn add_user(
    store: &Store,
    org_id: Uuid,
    email: &str,
    password: &str,
    role: Role,
) -> Result<(UserRecord, bool), ApiError> {
    let email = normalise_email(email)?;
    let mut tx = store.begin(&Context { login_email: Some(email.clone()), ..Context::org(org_id) }).await?;
    tx.organisation(org_id).await?.ok_or(ApiError::NotFound("organisation"))?;
    let (user, created) = match tx.user_by_email(&email).await? {
        Some(user) => (user, false),
        None => (accounts::create_user(&mut tx, &email, None, password).await?, true),
    };
    match tx.member_role(user.id).await? {
        Some(existing) if existing == role => {}
        Some(_) => {
            tx.set_member_role(user.id, role).await?;
        }
        None => tx.add_member(user.id, role).await?,
    }
    let details = serde_json::json!({ "email": email, "role": role, "account_created": created });
    audit(&mut tx, org_id, "cli.member.add", user.id.to_string(), details).await?;
    tx.commit().await?;
    Ok((user, created))
}

/// Issues a key for the member `email`, with every scope their role allows unless narrowed.
pub async fn create_api_key(
    store: &Store,
    org_id: Uuid,
    email: &str,
    name: &str,
    scopes: Option<Vec<Permission>>,
) -> Result<IssuedKey, ApiError> {
    let email = normalise_email(email)?;
    let mut tx = store.begin(&Context { login_email: Some(email.clone()), ..Context::org(org_id) }).await?;
    let user = tx.user_by_email(&email).await?.ok_or(ApiError::NotFound("user"))?;
    let role = tx.member_role(user.id).await?.ok_or(ApiError::NotFound("member"))?;
    let scopes = scopes.unwrap_or_else(|| role.permissions().to_vec());
    if let Some(excess) = scopes.iter().find(|p| !role.allows(**p)) {
        return Err(ApiError::invalid(format!("scope `{excess}` exceeds the {role} role of {email}")));
    }
    let issued = accounts::issue_api_key(&mut tx, user.id, name, &scopes, None).await?;
    let details = serde_json::json!({ "name": issued.record.name, "scopes": scopes, "for": email });
    audit(&mut tx, org_id, "cli.api_key.create", issued.record.id.to_string(), details).await?;
    tx.commit().await?;
    Ok(issued)
}

/// What `kurobe demo init` made, or found.
#[derive(Debug)]
pub enum DemoSetup {
    Created { organisation: OrganisationRecord, email: String, password: String, api_key: String },
    Existing { organisation: OrganisationRecord },
}

/// Creates the demo organisation with an admin and an API key, once. A second run finds the
/// organisation through its admin's membership and changes nothing: secrets are never
/// stored, so they cannot be shown again.
pub async fn init_demo(store: &Store) -> Result<DemoSetup, ApiError> {
    let mut tx = store.begin(&Context::login(DEMO_ADMIN_EMAIL)).await?;
    let admin = tx.user_by_email(DEMO_ADMIN_EMAIL).await?;
    tx.commit().await?;
    if let Some(admin) = admin {
        let mut tx = store.begin(&Context::user(admin.id)).await?;
        let demo = tx.memberships_of(admin.id).await?.into_iter().find(|m| m.organisation.name == DEMO_ORGANISATION);
        tx.commit().await?;
        if let Some(membership) = demo {
            return Ok(DemoSetup::Existing { organisation: membership.organisation });
        }
    }
    let organisation = create_organisation(store, DEMO_ORGANISATION).await?;
    let password = generate_password();
    add_user(store, organisation.id, DEMO_ADMIN_EMAIL, &password, Role::Owner).await?;
    let key = create_api_key(store, organisation.id, DEMO_ADMIN_EMAIL, "demo", None).await?;
    Ok(DemoSetup::Created { organisation, email: DEMO_ADMIN_EMAIL.into(), password, api_key: key.full })
}
