//! The caller's organisation: its name and the engines it chose.

use std::collections::BTreeMap;

use axum::extract::State;
use kurobe_api::{
    ErrorBody,
    organisation::{OrganisationDetails, UpdateOrganisationRequest},
};
use kurobe_core::{Permission, Principal};
use kurobe_engines::Kind;
use kurobe_store::Context;

use super::{ApiError, Auth, Json, require};
use crate::{
    accounts::normalise_name,
    audit::{Actor, Audit},
    engines::effective_engines,
    state::AppState,
};

fn chosen_engines(settings: &serde_json::Value) -> BTreeMap<String, String> {
    serde_json::from_value(settings["engines"].clone()).unwrap_or_default()
}

async fn details(state: &AppState, principal: &Principal) -> Result<OrganisationDetails, ApiError> {
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let organisation = tx.organisation(principal.org_id).await?.ok_or(ApiError::NotFound("organisation"))?;
    let settings = tx.organisation_settings().await?;
    tx.commit().await?;
    let engines = chosen_engines(&settings);
    Ok(OrganisationDetails {
        id: organisation.id,
        name: organisation.name,
        effective_engines: effective_engines(&state.engines, &engines),
        engines,
        rate_limit_per_minute: settings["rate_limit_per_minute"].as_u64().and_then(|n| u32::try_from(n).ok()),
    })
}

#[utoipa::path(get, path = "/v1/organisation", tag = "organisation", security(("bearer" = [])), responses(
    (status = 200, body = OrganisationDetails),
    (status = 401, body = ErrorBody),
))]
pub async fn get(State(state): State<AppState>, Auth(principal): Auth) -> Result<Json<OrganisationDetails>, ApiError> {
    Ok(Json(details(&state, &principal).await?))
}

/// Renames the organisation or chooses its engines; a chosen engine must exist in the
/// running registry.
#[utoipa::path(patch, path = "/v1/organisation", tag = "organisation", security(("bearer" = [])),
    request_body = UpdateOrganisationRequest, responses(
    (status = 200, body = OrganisationDetails),
    (status = 403, body = ErrorBody),
    (status = 422, body = ErrorBody),
))]
pub async fn update(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Json(req): Json<UpdateOrganisationRequest>,
) -> Result<Json<OrganisationDetails>, ApiError> {
    audit.action("organisation.update", Some(principal.org_id.to_string()));
    // Each change needs its own permission, and a request changing nothing still needs one:
    // otherwise any member, a viewer too, could leave an "organisation updated" record.
    if req.name.is_some() || (req.engines.is_empty() && req.rate_limit_per_minute.is_none()) {
        require(&principal, Permission::OrganisationManage)?;
    }
    if !req.engines.is_empty() {
        require(&principal, Permission::EnginesManage)?;
    }
    if let Some(quota) = req.rate_limit_per_minute {
        require(&principal, Permission::OrganisationManage)?;
        if quota != 0 && !(10..=1_000_000).contains(&quota) {
            return Err(ApiError::invalid("rate_limit_per_minute must be 0 (the default) or between 10 and 1000000"));
        }
    }
    let registry = state.engines.current();
    for (kind, choice) in &req.engines {
        let section =
            Kind::ALL.into_iter().find(|k| k.as_str() == kind).map(|k| registry.registry.section(k)).ok_or_else(
                || ApiError::invalid(format!("`{kind}` is not an engine kind (text_to_sql, visualization, semantic)")),
            )?;
        if let Some(name) = choice
            && !section.engines.contains_key(name)
        {
            return Err(ApiError::invalid(format!("`{name}` is not a {kind} engine of the running registry")));
        }
    }
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let current = tx.organisation(principal.org_id).await?.ok_or(ApiError::NotFound("organisation"))?;
    let mut settings = tx.organisation_settings().await?;
    let mut engines = chosen_engines(&settings);
    for (kind, choice) in &req.engines {
        match choice {
            Some(name) => engines.insert(kind.clone(), name.clone()),
            None => engines.remove(kind),
        };
    }
    settings["engines"] = serde_json::to_value(&engines).map_err(|e| ApiError::Internal(e.into()))?;
    match req.rate_limit_per_minute {
        Some(0) => drop(settings.as_object_mut().map(|s| s.remove("rate_limit_per_minute"))),
        Some(quota) => settings["rate_limit_per_minute"] = quota.into(),
        None => {}
    }
    let name = req.name.as_deref().map(|n| normalise_name("name", n)).transpose()?.unwrap_or(current.name);
    tx.update_organisation(&name, &settings).await?;
    let changes =
        serde_json::json!({ "name": name, "engines": engines, "rate_limit_per_minute": req.rate_limit_per_minute });
    audit.success(&mut tx, Actor::from(&principal), changes).await?;
    tx.commit().await?;
    state.limits.forget(principal.org_id);
    state.tenants.changed().await;
    Ok(Json(details(&state, &principal).await?))
}
