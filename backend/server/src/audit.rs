//! The audit trail of HTTP requests. Handlers record their successes inside their own
//! transaction (so the row commits with the change); [`request_context`] records every
//! refusal and failure after the handler returned, before the response leaves. Either way
//! the row is committed before the client sees an answer.

use std::{
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
};

use axum::{
    extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, request::Parts},
    middleware::Next,
    response::Response,
};
use kurobe_api::ErrorCode;
use kurobe_core::{AuditOutcome, Principal};
use kurobe_store::{Context, NewAuditEntry, Scoped, StoreError};
use sentry::SentryFutureExt as _;
use tracing::Instrument as _;
use uuid::Uuid;

use crate::{http::ApiError, state::AppState};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served on this task, for error bodies and logs.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Runs `task` on its own tokio task with the current request's id, span and Sentry hub, so
/// work that outlives the handler (a streamed answer) still logs, traces and reports under it.
pub fn spawn_in_request<F>(task: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let id = current_request_id().unwrap_or_default();
    let task = REQUEST_ID.scope(id, task).instrument(tracing::Span::current()).bind_hub(sentry::Hub::current());
    tokio::spawn(task)
}

/// Who is acting, as far as it is known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Actor {
    pub org_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub api_key_id: Option<Uuid>,
}

impl From<&Principal> for Actor {
    fn from(p: &Principal) -> Self {
        Actor { org_id: Some(p.org_id), user_id: Some(p.user_id), api_key_id: p.api_key_id() }
    }
}

/// What a request has revealed about itself so far: filled in by authentication and by the
/// handler, read by [`request_context`] when the request fails.
#[derive(Debug, Default)]
pub struct AuditSlot(Mutex<SlotState>);

#[derive(Debug, Default, Clone)]
struct SlotState {
    actor: Actor,
    action: Option<&'static str>,
    target: Option<String>,
    recorded: bool,
}

impl AuditSlot {
    fn with<R>(&self, f: impl FnOnce(&mut SlotState) -> R) -> R {
        // A poisoned lock only means another thread panicked mid-update; the data is plain.
        f(&mut self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    pub fn identify(&self, org_id: Uuid, user_id: Option<Uuid>, api_key_id: Option<Uuid>) {
        self.with(|s| s.actor = Actor { org_id: Some(org_id), user_id, api_key_id });
    }

    pub fn set_actor(&self, actor: Actor) {
        self.with(|s| s.actor = actor);
    }
}

/// The facts about a request that every audit row carries.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub request_id: String,
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// The handler's access to the audit trail of its request.
#[derive(Debug, Clone)]
pub struct Audit {
    slot: Arc<AuditSlot>,
    meta: Arc<RequestMeta>,
}

impl<S: Send + Sync> FromRequestParts<S> for Audit {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let slot = parts.extensions.get::<Arc<AuditSlot>>().cloned();
        let meta = parts.extensions.get::<Arc<RequestMeta>>().cloned();
        match (slot, meta) {
            (Some(slot), Some(meta)) => Ok(Audit { slot, meta }),
            _ => Err(ApiError::Internal(anyhow::anyhow!("the request_context middleware is not installed"))),
        }
    }
}

impl Audit {
    /// The audit trail of work that no request carries (a background job's run): its rows
    /// quote `request_id` (the run's id) and name `agent` as their user agent, with no address.
    pub fn background(request_id: String, agent: &str) -> Self {
        let meta = RequestMeta { request_id, ip: None, user_agent: Some(agent.to_owned()) };
        Audit { slot: Arc::default(), meta: Arc::new(meta) }
    }
}

impl Audit {
    /// Names the action this request performs, so a failure is recorded under that name.
    pub fn action(&self, action: &'static str, target: Option<String>) {
        self.slot.with(|s| {
            s.action = Some(action);
            s.target = target;
        });
    }

    pub fn slot(&self) -> &AuditSlot {
        &self.slot
    }

    pub fn meta(&self) -> &RequestMeta {
        &self.meta
    }

    /// The row this request's action leaves, as `actor`, who is remembered for the request.
    fn row(
        &self,
        actor: Actor,
        outcome: AuditOutcome,
        code: Option<ErrorCode>,
        details: serde_json::Value,
    ) -> NewAuditEntry {
        let state = self.slot.with(|s| {
            s.actor = actor;
            s.clone()
        });
        let action = state.action.unwrap_or("unnamed").to_owned();
        entry(&self.meta, actor, action, state.target, outcome, code.map(|c| c.as_str().to_owned()), details)
    }

    /// Appends the success row inside the handler's transaction, which must be scoped to the
    /// actor's organisation; it commits together with the change it describes.
    pub async fn success(&self, tx: &mut Scoped, actor: Actor, details: serde_json::Value) -> Result<(), StoreError> {
        tx.append_audit(&self.row(actor, AuditOutcome::Success, None, details)).await?;
        self.mark_recorded();
        Ok(())
    }

    /// The success row, for a caller that commits it itself (a query's record).
    pub fn success_row(&self, actor: Actor, details: serde_json::Value) -> NewAuditEntry {
        self.row(actor, AuditOutcome::Success, None, details)
    }

    /// The row of a failed action, for failures that leave a record of their own (a
    /// query's history row) to commit with it.
    pub fn failure_row(&self, actor: Actor, code: ErrorCode, details: serde_json::Value) -> NewAuditEntry {
        self.row(actor, outcome_of(code.status()), Some(code), details)
    }

    /// Says the request's outcome is in the audit log, so the middleware adds no row.
    pub fn mark_recorded(&self) {
        self.slot.with(|s| s.recorded = true);
    }

    /// Records a failure the response status will not show (a stream that already
    /// answered 200), unless the handler recorded it already.
    pub async fn record_unrecorded(&self, state: &AppState, code: ErrorCode) {
        let snapshot = self.slot.with(|s| s.clone());
        if snapshot.recorded {
            return;
        }
        let action = snapshot.action.unwrap_or("unnamed").to_owned();
        let details = serde_json::json!({ "status": code.status(), "streamed": true });
        let row = entry(
            &self.meta,
            snapshot.actor,
            action,
            snapshot.target,
            outcome_of(code.status()),
            Some(code.as_str().into()),
            details,
        );
        match record_failure(state, &row).await {
            Ok(()) => self.slot.with(|s| s.recorded = true),
            Err(err) => tracing::error!(error = %err, "could not write the audit row of a failed stream"),
        }
    }
}

/// Refusals for lack of credentials or permission are denials; anything else an error.
fn outcome_of(status: u16) -> AuditOutcome {
    if matches!(status, 401 | 403) { AuditOutcome::Denied } else { AuditOutcome::Error }
}

fn entry(
    meta: &RequestMeta,
    actor: Actor,
    action: String,
    target: Option<String>,
    outcome: AuditOutcome,
    error_code: Option<String>,
    details: serde_json::Value,
) -> NewAuditEntry {
    NewAuditEntry {
        org_id: actor.org_id,
        actor_user_id: actor.user_id,
        actor_api_key_id: actor.api_key_id,
        action,
        target,
        outcome,
        error_code,
        ip: meta.ip,
        user_agent: meta.user_agent.clone(),
        request_id: Some(meta.request_id.clone()),
        details,
    }
}

/// A client-supplied request id is kept when it is short and plain, so ids correlate across
/// systems; anything else is replaced rather than copied into logs and audit rows.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .map_or_else(|| Uuid::now_v7().to_string(), str::to_owned)
}

/// The client's address: the first `X-Forwarded-For` hop when the proxy in front is
/// trusted, else the peer address.
pub fn client_ip<B>(req: &axum::http::Request<B>, trust_forwarded_for: bool) -> Option<IpAddr> {
    let forwarded = trust_forwarded_for
        .then(|| req.headers().get("x-forwarded-for")?.to_str().ok()?.split(',').next()?.trim().parse().ok())
        .flatten();
    forwarded.or_else(|| req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
}

/// Gives each request its id, collects what the audit trail needs, and records the request
/// if it failed and the handler did not record it itself.
pub async fn request_context(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let request_id = request_id(req.headers());
    let meta = Arc::new(RequestMeta {
        request_id: request_id.clone(),
        ip: client_ip(&req, state.settings.server.trust_forwarded_for),
        user_agent: req
            .headers()
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(512).collect()),
    });
    let slot = Arc::new(AuditSlot::default());
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    req.extensions_mut().insert(slot.clone());
    req.extensions_mut().insert(meta.clone());

    let mut response = REQUEST_ID.scope(request_id.clone(), next.run(req)).await;

    let status = response.status();
    let recorded = slot.with(|s| s.recorded);
    // The API and the MCP endpoint, which serves agents under the same credentials and
    // audit; not the health checks, documentation and metrics, which anyone may poll.
    if let Some(route) = route.filter(|r| r.starts_with("/v1/") || r == "/mcp")
        && (status.is_client_error() || status.is_server_error())
        // Rate-limit refusals are counted in metrics instead: auditing them would turn a
        // flood of requests into a flood of writes.
        && status != StatusCode::TOO_MANY_REQUESTS
        && !recorded
    {
        let state_snapshot = slot.with(|s| s.clone());
        let code = response.extensions().get::<ErrorCode>().copied();
        let outcome = outcome_of(status.as_u16());
        let action = state_snapshot.action.map_or_else(|| format!("http.{method} {route}"), str::to_owned);
        let row = entry(
            &meta,
            state_snapshot.actor,
            action,
            state_snapshot.target,
            outcome,
            code.map(|c| c.as_str().to_owned()),
            serde_json::json!({ "status": status.as_u16(), "route": route, "method": method.as_str() }),
        );
        if let Err(err) = record_failure(&state, &row).await {
            tracing::error!(error = %err, request_id, "could not write the audit row of a failed request");
        }
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// Appends the row; should its organisation have vanished meanwhile, the row is kept outside
/// any organisation rather than lost.
async fn record_failure(state: &AppState, row: &NewAuditEntry) -> Result<(), StoreError> {
    match append(state, row).await {
        Err(StoreError::Constraint { .. }) if row.org_id.is_some() => {
            append(state, &NewAuditEntry { org_id: None, ..row.clone() }).await
        }
        result => result,
    }
}

async fn append(state: &AppState, row: &NewAuditEntry) -> Result<(), StoreError> {
    let context = row.org_id.map_or_else(Context::none, Context::org);
    let mut tx = state.store.begin(&context).await?;
    tx.append_audit(row).await?;
    tx.commit().await
}

/// Records an action the server took by itself (a reload on a file change or a signal),
/// outside any organisation: visible to operators, not to tenants.
pub async fn record_system(
    state: &AppState,
    action: &str,
    outcome: AuditOutcome,
    error_code: Option<ErrorCode>,
    details: serde_json::Value,
) -> Result<(), StoreError> {
    let row = NewAuditEntry {
        org_id: None,
        actor_user_id: None,
        actor_api_key_id: None,
        action: action.to_owned(),
        target: None,
        outcome,
        error_code: error_code.map(|c| c.as_str().to_owned()),
        ip: None,
        user_agent: None,
        request_id: None,
        details,
    };
    append(state, &row).await
}
