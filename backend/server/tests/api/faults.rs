//! Faults under a running Kurobe: Postgres restarted (requests meanwhile get 503 with
//! Retry-After, never a hang or a 500, and Kurobe recovers by itself), and Trino stopped under
//! load (only its data source fails, fast, and it recovers when Trino returns).

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

/// A TCP forwarder in front of Trino that can be cut: from Kurobe's side, exactly a Trino
/// that stopped (connections refused, open ones reset) and came back on the same address.
struct Cuttable {
    port: u16,
    target: std::net::SocketAddr,
    tasks: Option<tokio::task::JoinSet<()>>,
}

impl Cuttable {
    async fn start(target: std::net::SocketAddr) -> Self {
        let mut proxy = Cuttable { port: spare_port(), target, tasks: None };
        proxy.resume().await;
        proxy
    }

    async fn resume(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        let target = self.target;
        let mut tasks = tokio::task::JoinSet::new();
        tasks.spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                        tokio::io::copy_bidirectional(&mut client, &mut server).await.ok();
                    }
                });
            }
        });
        self.tasks = Some(tasks);
    }

    /// Closes the listener and every forwarded connection (dropping the set aborts them).
    fn cut(&mut self) {
        self.tasks = None;
    }
}

/// Trino stopped while two data sources of one organisation are under load: only the Trino
/// source fails, each failure a quick `502 datasource_unavailable` with an audit row; the
/// DuckDB source fails nothing; and Trino's source answers again, without restarting
/// Kurobe, as soon as Trino is reachable. The counts and the recovery time are printed.
#[tokio::test]
async fn a_trino_outage_under_load_fails_only_its_data_source_then_recovers() {
    use crate::queries::app_with_demo_settings;

    let trino: std::net::SocketAddr =
        std::env::var("KUROBE_TEST_TRINO_URL").unwrap().trim_start_matches("http://").parse().unwrap();
    let mut proxy = Cuttable::start(trino).await;
    let (app, _dir, owner, duckdb) = app_with_demo_settings(settings()).await;
    let config = json!({ "kind": "trino", "url": format!("http://127.0.0.1:{}", proxy.port), "user": "kurobe", "catalog": "tpch", "schema": "tiny" });
    let created = app.post("/v1/datasources", Some(&owner.token), json!({ "name": "Trino", "config": config })).await;
    let trino_source = created.expect(StatusCode::CREATED).body["id"].as_str().unwrap().to_owned();
    let trino_sql = "SELECT regionkey, count(*) AS nations FROM tiny.nation GROUP BY regionkey";
    let duckdb_sql = "SELECT status, count(*) AS orders FROM retail.orders GROUP BY status";
    // Uncached each time (a changing literal), so every request reaches its warehouse.
    let ask = |source: &str, sql: &str, n: usize| json!({ "datasource_id": source, "sql": format!("{sql} HAVING count(*) > -{n}") });
    app.post("/v1/sql", Some(&owner.token), ask(&trino_source, trino_sql, 0)).await.expect(StatusCode::OK);

    let cut_at = Duration::from_millis(1_500);
    let resume_at = Duration::from_millis(3_500);
    let started = Instant::now();
    let app = &app;
    let owner = &owner;
    let worker = |source: String, sql: &'static str, seed: usize| async move {
        let (mut ok, mut failed, mut slowest_failure) = (0usize, Vec::new(), Duration::ZERO);
        let mut first_ok_after_resume = None;
        let mut n = seed * 1_000_000;
        while started.elapsed() < Duration::from_millis(5_500) {
            n += 1;
            let sent = Instant::now();
            let response = app.post("/v1/sql", Some(&owner.token), ask(&source, sql, n)).await;
            if response.status == StatusCode::OK {
                ok += 1;
                if started.elapsed() > resume_at && first_ok_after_resume.is_none() {
                    first_ok_after_resume = Some(started.elapsed() - resume_at);
                }
            } else {
                slowest_failure = slowest_failure.max(sent.elapsed());
                failed.push((response.status, response.code().to_owned()));
            }
        }
        (ok, failed, slowest_failure, first_ok_after_resume)
    };
    let outage = async {
        tokio::time::sleep(cut_at).await;
        proxy.cut();
        tokio::time::sleep(resume_at - cut_at).await;
        proxy.resume().await;
    };
    let (_, results) = tokio::join!(
        outage,
        futures_util::future::join_all(
            [(trino_source.clone(), trino_sql), (duckdb.clone(), duckdb_sql)]
                .into_iter()
                .flat_map(|(source, sql)| (0..2).map(move |seed| (source.clone(), sql, seed)))
                .map(|(source, sql, seed)| worker(source, sql, seed)),
        )
    );
    let (trino_results, duckdb_results) = results.split_at(2);
    let duckdb_failed: Vec<_> = duckdb_results.iter().flat_map(|r| r.1.clone()).collect();
    assert!(duckdb_failed.is_empty(), "the DuckDB source failed during Trino's outage: {duckdb_failed:?}");
    let trino_failed: Vec<_> = trino_results.iter().flat_map(|r| r.1.clone()).collect();
    assert!(!trino_failed.is_empty(), "no request noticed the outage");
    for (status, code) in &trino_failed {
        assert_eq!((*status, code.as_str()), (StatusCode::BAD_GATEWAY, "datasource_unavailable"));
    }
    let slowest = trino_results.iter().map(|r| r.2).max().unwrap();
    assert!(slowest < Duration::from_secs(5), "a request to the stopped Trino took {slowest:?}");
    let recovered = trino_results.iter().filter_map(|r| r.3).min().expect("Trino's source never answered again");
    eprintln!(
        "Trino outage under load: DuckDB {} ok / 0 failed; Trino {} ok / {} failed (slowest failure {slowest:?}); \
         Trino answered again {recovered:?} after it returned",
        duckdb_results.iter().map(|r| r.0).sum::<usize>(),
        trino_results.iter().map(|r| r.0).sum::<usize>(),
        trino_failed.len(),
    );
    let audited = app.audit_rows("query.sql").await;
    let unavailable = audited.iter().filter(|r| r.error_code.as_deref() == Some("datasource_unavailable")).count();
    assert_eq!(unavailable, trino_failed.len(), "every failure has its audit row");
}
