//! Data sources: create, list, read, change, delete, test, introspect, refresh, and their
//! row policies.
//! Credentials go in and never come out.

use axum::{extract::State, http::StatusCode};
use kurobe_api::{
    ErrorBody,
    datasources::{
        ConnectionTest, CreateDataSourceRequest, DataSource, DataSourceConfig, DataSourceSchema, Health, HealthStatus,
        RowPolicies, SchemaState, UpdateDataSourceRequest,
    },
};
use kurobe_core::{Permission, Principal};
use kurobe_store::{Context, DataSourceChanges, DataSourceRecord, Scoped};
use uuid::Uuid;

use super::{ApiError, Auth, Json, Path, require};
use crate::{
    accounts::normalise_name,
    audit::{Actor, Audit},
    datasources::{
        self, NewSource, check_health, check_limits, name_taken, parse_limits, policies, schemas, seal, validate_config,
    },
    state::AppState,
};

fn view(record: &DataSourceRecord) -> Result<DataSource, ApiError> {
    let config: DataSourceConfig = serde_json::from_value(record.config.clone())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored data source config unreadable: {e}")))?;
    Ok(DataSource {
        id: record.id,
        name: record.name.clone(),
        config,
        has_credentials: record.credentials.is_some(),
        limits: parse_limits(&record.limits),
        health: match &record.health {
            Some(h) => Health {
                status: if h.ok { HealthStatus::Ok } else { HealthStatus::Failing },
                error: h.error.clone(),
                latency_ms: h.latency_ms,
                checked_at: Some(h.checked_at),
            },
            None => Health { status: HealthStatus::Unknown, error: None, latency_ms: None, checked_at: None },
        },
        schema: SchemaState {
            generation: record.schema_generation,
            refreshed_at: record.schema_refreshed_at,
            tables: record.schema_tables.unwrap_or_default().try_into().unwrap_or_default(),
        },
        created_at: record.created_at,
        updated_at: record.updated_at,
    })
}

async fn load(state: &AppState, principal: &Principal, id: Uuid) -> Result<(Scoped, DataSourceRecord), ApiError> {
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let record = tx.data_source(id).await?.ok_or(ApiError::NotFound("data source"))?;
    Ok((tx, record))
}

#[utoipa::path(get, path = "/v1/datasources", tag = "datasources", security(("bearer" = [])), responses(
    (status = 200, body = Vec<DataSource>),
    (status = 403, body = ErrorBody),
))]
pub async fn list(State(state): State<AppState>, Auth(principal): Auth) -> Result<Json<Vec<DataSource>>, ApiError> {
    require(&principal, Permission::DatasourcesRead)?;
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let records = tx.data_sources().await?;
    tx.commit().await?;
    Ok(Json(records.iter().map(view).collect::<Result<_, _>>()?))
}

#[utoipa::path(post, path = "/v1/datasources", tag = "datasources", security(("bearer" = [])),
    request_body = CreateDataSourceRequest, responses(
    (status = 201, body = DataSource),
    (status = 403, body = ErrorBody),
    (status = 409, description = "The name is taken", body = ErrorBody),
    (status = 422, body = ErrorBody),
))]
pub async fn create(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Json(req): Json<CreateDataSourceRequest>,
) -> Result<(StatusCode, Json<DataSource>), ApiError> {
    audit.action("datasource.create", None);
    require(&principal, Permission::DatasourcesManage)?;
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let source =
        NewSource { name: &req.name, config: &req.config, credentials: req.credentials.as_ref(), limits: req.limits };
    let record = datasources::create(
        &mut tx,
        principal.org_id,
        principal.user_id,
        source,
        &state.master_keys,
        &state.settings.connectors,
    )
    .await?;
    audit.action("datasource.create", Some(record.id.to_string()));
    let details = serde_json::json!({ "name": record.name, "kind": record.kind, "has_credentials": record.credentials.is_some() });
    audit.success(&mut tx, Actor::from(&principal), details).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view(&record)?)))
}

#[utoipa::path(get, path = "/v1/datasources/{id}", tag = "datasources", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = DataSource),
    (status = 404, body = ErrorBody),
))]
pub async fn get(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<Uuid>,
) -> Result<Json<DataSource>, ApiError> {
    require(&principal, Permission::DatasourcesRead)?;
    let (tx, record) = load(&state, &principal, id).await?;
    tx.commit().await?;
    Ok(Json(view(&record)?))
}

#[utoipa::path(patch, path = "/v1/datasources/{id}", tag = "datasources", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = UpdateDataSourceRequest, responses(
    (status = 200, body = DataSource),
    (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody),
    (status = 422, body = ErrorBody),
))]
pub async fn update(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateDataSourceRequest>,
) -> Result<Json<DataSource>, ApiError> {
    audit.action("datasource.update", Some(id.to_string()));
    require(&principal, Permission::DatasourcesManage)?;
    let (mut tx, current) = load(&state, &principal, id).await?;
    let name = req.name.as_deref().map(|n| normalise_name("name", n)).transpose()?;
    let current_config: DataSourceConfig =
        serde_json::from_value(current.config.clone()).map_err(|e| ApiError::Internal(e.into()))?;
    let config = req.config.clone().unwrap_or(current_config);
    // Validate against the credentials the source will have after the change.
    let effective_credentials = match &req.credentials {
        Some(c) => Some(c.clone()),
        None => Some(datasources::open_credentials(&current, &state.master_keys)?),
    };
    validate_config(&config, effective_credentials.as_ref(), &state.settings.connectors)?;
    if let Some(limits) = &req.limits {
        check_limits(limits)?;
    }
    let sealed = req.credentials.as_ref().map(|c| seal(&state.master_keys, principal.org_id, id, c)).transpose()?;
    let config_json = serde_json::to_value(&config).map_err(|e| ApiError::Internal(e.into()))?;
    let limits_json = req.limits.map(serde_json::to_value).transpose().map_err(|e| ApiError::Internal(e.into()))?;
    tx.update_data_source(
        id,
        DataSourceChanges {
            name: name.as_deref(),
            kind: Some(config.kind()),
            config: Some(&config_json),
            limits: limits_json.as_ref(),
            credentials: sealed.as_ref().map(|s| s.as_ref().map(|(c, v)| (c.as_slice(), *v))),
        },
    )
    .await
    .map_err(name_taken)?;
    let updated = tx.data_source(id).await?.ok_or(ApiError::NotFound("data source"))?;
    let changed: Vec<&str> = [
        req.name.as_ref().map(|_| "name"),
        req.config.as_ref().map(|_| "config"),
        req.credentials.as_ref().map(|_| "credentials"),
        req.limits.as_ref().map(|_| "limits"),
    ]
    .into_iter()
    .flatten()
    .collect();
    audit.success(&mut tx, Actor::from(&principal), serde_json::json!({ "changed": changed })).await?;
    tx.commit().await?;
    state.datasources.forget(id);
    state.tenants.changed().await;
    Ok(Json(view(&updated)?))
}

#[utoipa::path(delete, path = "/v1/datasources/{id}", tag = "datasources", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 204),
    (status = 404, body = ErrorBody),
))]
pub async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    audit.action("datasource.delete", Some(id.to_string()));
    require(&principal, Permission::DatasourcesManage)?;
    let (mut tx, record) = load(&state, &principal, id).await?;
    tx.delete_data_source(id).await?;
    audit.success(&mut tx, Actor::from(&principal), serde_json::json!({ "name": record.name })).await?;
    tx.commit().await?;
    state.tenants.changed().await;
    state.datasources.forget(id);
    Ok(StatusCode::NO_CONTENT)
}

/// Connects and runs a trivial query; the outcome becomes the source's health. A failed
/// connection is a successful test with `ok: false`.
#[utoipa::path(post, path = "/v1/datasources/{id}/test", tag = "datasources", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = ConnectionTest),
    (status = 404, body = ErrorBody),
))]
pub async fn test(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Path(id): Path<Uuid>,
) -> Result<Json<ConnectionTest>, ApiError> {
    audit.action("datasource.test", Some(id.to_string()));
    require(&principal, Permission::DatasourcesManage)?;
    let (tx, record) = load(&state, &principal, id).await?;
    tx.commit().await?;
    let result = check_health(&state, &record).await?;
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let details = serde_json::json!({ "ok": result.ok, "latency_ms": result.latency_ms });
    audit.success(&mut tx, Actor::from(&principal), details).await?;
    tx.commit().await?;
    Ok(Json(result))
}

/// The source's schema as last introspected (introspecting now if it never was).
#[utoipa::path(get, path = "/v1/datasources/{id}/schema", tag = "datasources", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = DataSourceSchema),
    (status = 404, body = ErrorBody),
    (status = 502, description = "The source could not be introspected", body = ErrorBody),
))]
pub async fn schema(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<Uuid>,
) -> Result<Json<DataSourceSchema>, ApiError> {
    require(&principal, Permission::DatasourcesRead)?;
    let (tx, record) = load(&state, &principal, id).await?;
    tx.commit().await?;
    let (generation, schema) = schemas::current(&state, &record).await?;
    Ok(Json(DataSourceSchema { generation, schema: (*schema).clone() }))
}

/// Introspects again; the new generation invalidates results cached under the old one.
#[utoipa::path(post, path = "/v1/datasources/{id}/refresh", tag = "datasources", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = DataSourceSchema),
    (status = 404, body = ErrorBody),
    (status = 502, body = ErrorBody),
))]
pub async fn refresh(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Path(id): Path<Uuid>,
) -> Result<Json<DataSourceSchema>, ApiError> {
    audit.action("datasource.refresh", Some(id.to_string()));
    require(&principal, Permission::DatasourcesManage)?;
    let (tx, record) = load(&state, &principal, id).await?;
    tx.commit().await?;
    let (generation, schema) = schemas::refresh(&state, &record).await?;
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    let details = serde_json::json!({ "generation": generation, "tables": schema.tables.len() });
    audit.success(&mut tx, Actor::from(&principal), details).await?;
    tx.commit().await?;
    Ok(Json(DataSourceSchema { generation, schema: (*schema).clone() }))
}

/// The data source's row policies.
#[utoipa::path(get, path = "/v1/datasources/{id}/policies", tag = "datasources", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = RowPolicies),
    (status = 404, body = ErrorBody),
))]
pub async fn policies(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<Uuid>,
) -> Result<Json<RowPolicies>, ApiError> {
    require(&principal, Permission::DatasourcesRead)?;
    let (tx, record) = load(&state, &principal, id).await?;
    tx.commit().await?;
    Ok(Json(RowPolicies { policies: policies::stored(&record)? }))
}

/// Replaces the data source's row policies. Each is checked against the schema and the
/// guard first; one invalid policy refuses the whole set.
#[utoipa::path(put, path = "/v1/datasources/{id}/policies", tag = "datasources", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = RowPolicies, responses(
    (status = 200, body = RowPolicies),
    (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody),
    (status = 422, description = "A table is unknown or a predicate is refused", body = ErrorBody),
))]
pub async fn set_policies(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Path(id): Path<Uuid>,
    Json(req): Json<RowPolicies>,
) -> Result<Json<RowPolicies>, ApiError> {
    audit.action("datasource.policies", Some(id.to_string()));
    require(&principal, Permission::DatasourcesManage)?;
    let (tx, record) = load(&state, &principal, id).await?;
    tx.commit().await?;
    let (_, schema) = schemas::current(&state, &record).await?;
    let connector = state.datasources.connector(&record, &state.master_keys, &state.settings.connectors).await?;
    policies::validate(&req.policies, connector.dialect(), &schema)?;
    let stored = serde_json::to_value(&req.policies).map_err(|e| ApiError::Internal(e.into()))?;
    let mut tx = state.store.begin(&Context::member(principal.org_id, principal.user_id)).await?;
    if !tx.set_row_policies(id, &stored).await? {
        return Err(ApiError::NotFound("data source"));
    }
    audit.success(&mut tx, Actor::from(&principal), serde_json::json!({ "policies": stored })).await?;
    tx.commit().await?;
    state.tenants.changed().await;
    Ok(Json(req))
}
