//! The HTTP surface: one router for the binary and the tests alike.

mod account;
mod admin_engines;
mod admin_jobs;
mod api_keys;
mod audit_log;
mod authz;
mod datasources;
mod error;
mod extract;
mod health;
mod history;
mod mcp;
mod members;
mod organisation;
mod queries;
mod rate_limit;
mod saved;

use std::any::Any;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::{StatusCode, header::AUTHORIZATION},
    middleware,
    response::{IntoResponse, Response},
    routing::get,
};
use kurobe_api::{ErrorBody, ErrorCode, ErrorFamily};
use tower_http::{catch_panic::CatchPanicLayer, sensitive_headers::SetSensitiveRequestHeadersLayer, trace::TraceLayer};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use utoipa_swagger_ui::SwaggerUi;

pub use authz::{Auth, require, require_operator};
pub use error::ApiError;
pub use extract::{Json, Path, Query};

use crate::{audit::request_context, metrics, state::AppState, telemetry};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kurobe",
        description = "Ask questions of your data in plain language. Every error body is \
            `{\"error\": {\"code\", \"message\", \"request_id\"}}` with a stable `code`.",
    ),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody, ErrorCode, ErrorFamily)),
    tags(
        (name = "auth", description = "Sign-up, sign-in and the current caller"),
        (name = "organisation", description = "The caller's organisation and the engines it chose"),
        (name = "queries", description = "Questions and SQL through the guard, the cache and the history"),
        (name = "saved", description = "Saved questions, to re-run and pin to dashboards"),
        (name = "members", description = "Members of the organisation and their roles"),
        (name = "api-keys", description = "Keys for scripts and SDKs"),
        (name = "audit", description = "The organisation's audit log"),
        (name = "datasources", description = "Warehouses to ask questions of: DuckDB, Postgres, Trino"),
        (name = "admin", description = "Server administration: the engine registry and background jobs"),
        (name = "health", description = "Liveness and readiness"),
        (name = "mcp", description = "The Model Context Protocol endpoint for AI agents"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some("An access token from /v1/auth/login, or an API key `kb_<id>_<secret>`.".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Handlers of different areas share names (`list`, `get`); an operation id must be unique,
/// so each becomes `<tag>_<handler>` (`datasources_list`, `queries_get`).
struct UniqueOperationIds;

impl Modify for UniqueOperationIds {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                let tag = operation.tags.as_ref().and_then(|tags| tags.first()).map(|t| t.replace('-', "_"));
                if let (Some(tag), Some(id)) = (tag, operation.operation_id.as_mut()) {
                    *id = format!("{tag}_{id}");
                }
            }
        }
    }
}

/// Errors any operation may answer, written into each so that clients and generated SDKs
/// know every status they can meet: a malformed path, query or body where there is one to
/// parse, a refused credential where one is needed, a body of the wrong type or size, and
/// rate limits, outages and bugs. An operation that documents one of them keeps its own.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |description: &str| {
            let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
            ResponseBuilder::new().description(description).content("application/json", body).build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                let body = operation.request_body.is_some();
                let parsed = body || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let common = [
                    (parsed, "400", "`bad_request` or `invalid_json`: a path, query or body that does not parse"),
                    (
                        secured,
                        "401",
                        "`unauthenticated`, `invalid_token`, `token_expired`, `invalid_api_key`, `api_key_revoked` \
                         or `api_key_expired`",
                    ),
                    (body, "413", "`payload_too_large`"),
                    (body, "415", "`unsupported_media_type`: the body must be sent as JSON"),
                    (true, "429", "`rate_limited`: retry after the seconds in `Retry-After`"),
                    (true, "500", "`internal`: logged with the request id"),
                    (parsed || secured, "503", "`service_unavailable`: a service Kurobe depends on is down; retry"),
                ];
                for (applies, status, description) in common {
                    if applies {
                        operation
                            .responses
                            .responses
                            .entry(status.to_owned())
                            .or_insert_with(|| error(description).into());
                    }
                }
            }
        }
    }
}

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(account::signup))
        .routes(routes!(account::login))
        .routes(routes!(account::switch_organisation))
        .routes(routes!(account::me))
        .routes(routes!(members::list, members::add))
        .routes(routes!(members::update, members::remove))
        .routes(routes!(api_keys::list, api_keys::create))
        .routes(routes!(api_keys::revoke))
        .routes(routes!(audit_log::list))
        .routes(routes!(datasources::list, datasources::create))
        .routes(routes!(datasources::get, datasources::update, datasources::delete))
        .routes(routes!(datasources::test))
        .routes(routes!(datasources::schema))
        .routes(routes!(datasources::refresh))
        .routes(routes!(datasources::policies, datasources::set_policies))
        .routes(routes!(organisation::get, organisation::update))
        .routes(routes!(queries::ask_question))
        .routes(routes!(queries::run_sql))
        .routes(routes!(queries::semantic_query))
        .routes(routes!(queries::rerun))
        .routes(routes!(queries::export_csv))
        .routes(routes!(history::list))
        .routes(routes!(history::get))
        .routes(routes!(saved::list, saved::create))
        .routes(routes!(saved::delete))
        .routes(routes!(saved::pin, saved::unpin))
        .routes(routes!(saved::feedback))
        .routes(routes!(admin_engines::get))
        .routes(routes!(admin_engines::reload))
        .routes(routes!(admin_jobs::list))
        .routes(routes!(admin_jobs::run_now))
        .routes(routes!(admin_jobs::retry))
        .routes(routes!(mcp::post))
}

/// The router and the OpenAPI document of every route, operation ids made unique and the
/// common errors written in (the routes are only known once the router is built).
fn router_and_document() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut api) = routes().split_for_parts();
    UniqueOperationIds.modify(&mut api);
    CommonErrors.modify(&mut api);
    (router, api)
}

/// The OpenAPI document of every route, as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    router_and_document().1
}

/// The application: every route, with request ids, auditing of failures, body limits,
/// panic recovery and tracing.
pub fn app(state: AppState) -> Router {
    let (router, api) = router_and_document();
    let body_limit = state.settings.server.body_limit_bytes;
    let router = router
        .merge(SwaggerUi::new("/docs").url("/openapi.json", api))
        .route("/", get(|| async { axum::response::Redirect::temporary("/docs") }))
        .route("/metrics", get(metrics::serve))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    // Inside the request context (so a refusal carries a request id), outside everything
    // that touches the database.
    let router = match rate_limit::per_ip(&state) {
        Some(layer) => router.layer(layer),
        None => router,
    };
    router
        // Inside the request context, so a panicked request is answered, audited and
        // reported under its request id like any other failure.
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(telemetry::scope_request))
        .layer(middleware::from_fn_with_state(state.clone(), request_context))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TraceLayer::new_for_http().make_span_with(telemetry::request_span))
        .layer(SetSensitiveRequestHeadersLayer::new([AUTHORIZATION]))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::Invalid { code: ErrorCode::MethodNotAllowed, message: "this route does not accept that method".into() }
}

fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    let response = ApiError::Internal(anyhow::anyhow!("a request handler panicked")).into_response();
    debug_assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    response
}

#[cfg(test)]
mod tests {
    /// The committed `openapi.json` is the contract SDKs and the web app are generated from.
    #[test]
    fn the_committed_openapi_document_matches_the_code() {
        let committed: serde_json::Value =
            serde_json::from_str(include_str!("../../../../openapi.json")).expect("openapi.json is JSON");
        let generated = serde_json::to_value(super::openapi()).expect("serialisable");
        assert!(committed == generated, "openapi.json is out of date: run `make openapi` and commit it");
    }

    #[test]
    fn operation_ids_are_unique() {
        let document = serde_json::to_value(super::openapi()).expect("serialisable");
        let mut ids: Vec<&str> = document["paths"]
            .as_object()
            .expect("paths")
            .values()
            .flat_map(|item| item.as_object().expect("operations").values())
            .map(|operation| operation["operationId"].as_str().expect("an operation id"))
            .collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "{ids:?}");
    }
}
