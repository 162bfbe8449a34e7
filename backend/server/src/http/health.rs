use std::time::{Duration, Instant};

use axum::{extract::State, http::StatusCode};
use kurobe_api::health::{DependencyStatus, Readiness};

use super::Json;
use crate::state::AppState;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Liveness: the process is up and serving.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "Alive")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: Postgres answers (required) and Redis answers (optional: without it Kurobe
/// serves without a shared cache, so its failure is reported but does not make us unready).
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "Ready", body = Readiness),
    (status = 503, description = "Postgres is unreachable", body = Readiness),
))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let (postgres, redis) = tokio::join!(check(state.store.ping()), check_redis(state.redis.as_ref()));
    let ready = postgres.status == "up";
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(Readiness { ready, postgres, redis }))
}

async fn check<E: std::fmt::Display>(probe: impl Future<Output = Result<(), E>>) -> DependencyStatus {
    let started = Instant::now();
    let outcome = tokio::time::timeout(CHECK_TIMEOUT, probe).await;
    let latency_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
    match outcome {
        Ok(Ok(())) => DependencyStatus { status: "up".into(), latency_ms, error: None },
        Ok(Err(err)) => DependencyStatus { status: "down".into(), latency_ms, error: Some(err.to_string()) },
        Err(_) => DependencyStatus { status: "down".into(), latency_ms, error: Some("timed out".into()) },
    }
}

async fn check_redis(client: Option<&redis::Client>) -> DependencyStatus {
    let Some(client) = client else {
        return DependencyStatus { status: "disabled".into(), latency_ms: None, error: None };
    };
    check(async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await.map(drop)
    })
    .await
}
