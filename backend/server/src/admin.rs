//! Administration from the shell (`kurobe org|user|apikey|demo ...`): the same store
//! operations the API uses, audited as actions of the command line.

use kurobe_api::datasources::DataSourceConfig;
use kurobe_core::{AuditOutcome, Permission, Role};
use kurobe_store::{Context, NewAuditEntry, OrganisationRecord, Scoped, Store, UserRecord};
use rand::{Rng, distributions::Alphanumeric, rngs::OsRng};
use uuid::Uuid;

use crate::{
    accounts::{self, IssuedKey, normalise_email, normalise_name},
    crypto::MasterKeys,
    datasources::{self, NewSource},
    http::ApiError,
    settings::ConnectorSettings,
};

pub const DEMO_ORGANISATION: &str = "Demo";
pub const DEMO_ADMIN_EMAIL: &str = "admin@demo.kurobe.dev";
pub const DEMO_DATASOURCE: &str = "Retail demo (DuckDB)";

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

/// Registers the demo DuckDB file as a data source of the demo organisation, unless a data
/// source of that name exists. Returns whether it was created.
pub async fn register_demo_source(
    store: &Store,
    organisation: &OrganisationRecord,
    path: &std::path::Path,
    keys: &MasterKeys,
    settings: &ConnectorSettings,
) -> Result<bool, ApiError> {
    let mut tx = store.begin(&Context::org(organisation.id)).await?;
    if tx.data_sources().await?.iter().any(|d| d.name == DEMO_DATASOURCE) {
        return Ok(false);
    }
    let owner = tx.members().await?.into_iter().find(|m| m.role == Role::Owner).ok_or(ApiError::NotFound("owner"))?;
    let config = DataSourceConfig::DuckDb { path: path.display().to_string() };
    let source = NewSource { name: DEMO_DATASOURCE, config: &config, credentials: None, limits: None };
    let record = datasources::create(&mut tx, organisation.id, owner.user_id, source, keys, settings).await?;
    let details = serde_json::json!({ "name": record.name, "kind": record.kind });
    audit(&mut tx, organisation.id, "cli.datasource.create", record.id.to_string(), details).await?;
    tx.commit().await?;
    Ok(true)
}

/// What `kurobe keys rotate` did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rotation {
    pub resealed: usize,
    pub current: usize,
    pub without_credentials: usize,
}

/// Re-encrypts every data source's credentials under the active master key, organisation
/// by organisation. Safe to run again: sources already on the active key are left alone.
pub async fn rotate_keys(store: &Store, keys: &MasterKeys) -> Result<Rotation, ApiError> {
    let mut tx = store.begin(&Context::none()).await?;
    let sources = tx.data_source_index().await?;
    tx.commit().await?;
    let active = i32::try_from(keys.active_version()).map_err(|e| ApiError::Internal(e.into()))?;
    let mut rotation = Rotation::default();
    for (org_id, id) in sources {
        let mut tx = store.begin(&Context::org(org_id)).await?;
        let Some(record) = tx.data_source(id).await? else { continue };
        match &record.credentials {
            None => rotation.without_credentials += 1,
            Some((_, version)) if *version == active => rotation.current += 1,
            Some((_, version)) => {
                let credentials = datasources::open_credentials(&record, keys)?;
                let (sealed, _) = datasources::seal(keys, org_id, id, &credentials)?
                    .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("credentials vanished while resealing")))?;
                tx.reseal_credentials(id, &sealed, active).await?;
                let details = serde_json::json!({ "from_version": version, "to_version": active });
                audit(&mut tx, org_id, "cli.datasource.reseal", id.to_string(), details).await?;
                rotation.resealed += 1;
            }
        }
        tx.commit().await?;
    }
    Ok(rotation)
}
