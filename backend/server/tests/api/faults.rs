//! Postgres restarted under a running Kurobe: requests meanwhile get 503 with Retry-After
//! (never a hang, never a 500), and Kurobe recovers by itself when Postgres is back.

use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Body,
    extract::ConnectInfo,
    http::{Request, StatusCode, header::RETRY_AFTER},
};
use http_body_util::BodyExt;
use secrecy::SecretString;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{PASSWORD, settings, spare_port};

const SERVICES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/services.sh");

fn services(args: &[&str]) {
    let status = Command::new(SERVICES).args(args).stderr(std::process::Stdio::null()).status().unwrap();
    assert!(status.success(), "services.sh {args:?}");
}

/// The value of `name` in the services.env the script writes.
fn env_value(dir: &Path, name: &str) -> String {
    let text = std::fs::read_to_string(dir.join("services.env")).unwrap();
    let line = text.lines().find(|l| l.starts_with(&format!("export {name}="))).unwrap();
    line.split_once('=').unwrap().1.trim_matches('\'').to_owned()
}

/// One request through the app: (status, Retry-After, JSON body).
async fn send(
    router: &Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, bool, Value) {
    let mut request = Request::builder().method(method).uri(path).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let mut request = request.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string()))).unwrap();
    request.extensions_mut().insert(ConnectInfo(std::net::SocketAddr::from(([127, 0, 0, 1], 40000))));
    let response = router.clone().oneshot(request).await.unwrap();
    let (status, retry_after) = (response.status(), response.headers().contains_key(RETRY_AFTER));
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, retry_after, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_postgres_restart_answers_503_then_recovers_without_restarting_kurobe() {
    // A Postgres of our own, so stopping it disturbs no other test.
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().to_str().unwrap();
    let (pg, redis) = (spare_port().to_string(), spare_port().to_string());
    services(&["up", state, &pg, &redis]);
    kurobe_server::migrate(&env_value(dir.path(), "KUROBE_DATABASE__MIGRATION_URL")).await.unwrap();
    let mut settings = settings();
    settings.database.url = Some(SecretString::from(env_value(dir.path(), "KUROBE_DATABASE__URL")));
    settings.redis.url = Some(SecretString::from(env_value(dir.path(), "KUROBE_REDIS__URL")));
    let app = kurobe_server::app(kurobe_server::build_state(settings).await.unwrap());
    let signup = json!({ "email": "owner@example.com", "password": PASSWORD, "organisation_name": "Acme" });
    let (status, _, body) = send(&app, "POST", "/v1/auth/signup", None, Some(signup)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(send(&app, "GET", "/v1/auth/me", Some(&token), None).await.0, StatusCode::OK);

    services(&["stop-postgres", state]);
    let started = Instant::now();
    let (status, retry_after, body) = send(&app, "GET", "/v1/auth/me", Some(&token), None).await;
    assert!(started.elapsed() < Duration::from_secs(15), "a request with Postgres down took {:?}", started.elapsed());
    assert_eq!(
        (status, retry_after, body["error"]["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, true, Some("service_unavailable"))
    );
    assert_eq!(send(&app, "GET", "/readyz", None, None).await.0, StatusCode::SERVICE_UNAVAILABLE);

    services(&["up", state, &pg, &redis]);
    let restarted = Instant::now();
    loop {
        let (status, _, body) = send(&app, "GET", "/v1/auth/me", Some(&token), None).await;
        if status == StatusCode::OK {
            break;
        }
        assert!(restarted.elapsed() < Duration::from_secs(30), "no recovery: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("recovered {:?} after Postgres came back", restarted.elapsed());
    assert_eq!(send(&app, "GET", "/readyz", None, None).await.0, StatusCode::OK);
    services(&["down", state]);
}
