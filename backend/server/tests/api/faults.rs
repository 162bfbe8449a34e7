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

/// A Postgres and a Redis of a test's own, stopped when the test ends — also when it fails,
/// so a failed run leaves no server behind.
struct OwnServices(tempfile::TempDir);

impl OwnServices {
    fn path(&self) -> &Path {
        self.0.path()
    }

    fn state(&self) -> &str {
        self.0.path().to_str().unwrap()
    }
}

impl Drop for OwnServices {
    fn drop(&mut self) {
        let state = self.0.path().to_str().unwrap_or_default();
        Command::new(SERVICES).args(["down", state]).stderr(std::process::Stdio::null()).status().ok();
    }
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
    let dir = OwnServices(tempfile::tempdir().unwrap());
    let state = dir.state();
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

/// What the load saw in one phase of the fault timeline.
#[derive(Debug, Default)]
struct Phase {
    ok: usize,
    failed: Vec<(StatusCode, bool, String)>,
    slowest: Duration,
}

/// Redis stopped, then Postgres restarted, while four workers send edited SQL (cached and
/// not) without pause: Redis's outage fails nothing; Postgres's fails requests only with
/// `503 service_unavailable` and Retry-After (a request waits for a connection up to the
/// pool's acquire timeout first, so a short restart mostly shows as slow answers), and
/// Kurobe recovers by itself. Every answer given has its history row and its audit row. The
/// counts per phase (by when a request was sent), the slowest request and the recovery time
/// are printed for the issue note.
#[tokio::test]
async fn redis_then_postgres_faults_under_load_fail_only_as_promised_and_recover() {
    let dir = OwnServices(tempfile::tempdir().unwrap());
    let state = dir.state();
    let (pg, redis) = (spare_port().to_string(), spare_port().to_string());
    services(&["up", state, &pg, &redis]);
    kurobe_server::migrate(&env_value(dir.path(), "KUROBE_DATABASE__MIGRATION_URL")).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let demo = data.path().join("demo.duckdb");
    kurobe_server::demo::load_duckdb(&demo, kurobe_demo::ScaleFactor::new(0.001).unwrap()).await.unwrap();
    let mut settings = settings();
    settings.database.url = Some(SecretString::from(env_value(dir.path(), "KUROBE_DATABASE__URL")));
    settings.redis.url = Some(SecretString::from(env_value(dir.path(), "KUROBE_REDIS__URL")));
    settings.connectors.duckdb_dirs = vec![data.path().to_path_buf()];
    // The workers send as fast as they are answered: the quotas would refuse them first.
    settings.rate_limits.per_credential_per_minute = 0;
    settings.rate_limits.per_ip_per_second = 0;
    let app = kurobe_server::app(kurobe_server::build_state(settings).await.unwrap());
    let signup = json!({ "email": "owner@example.com", "password": PASSWORD, "organisation_name": "Acme" });
    let token =
        send(&app, "POST", "/v1/auth/signup", None, Some(signup)).await.2["access_token"].as_str().unwrap().to_owned();
    let source = json!({ "name": "Demo", "config": { "kind": "duckdb", "path": demo.display().to_string() } });
    let (_, _, created) = send(&app, "POST", "/v1/datasources", Some(&token), Some(source)).await;
    let source = created["id"].as_str().unwrap().to_owned();

    // The timeline, in milliseconds from the start of the load.
    const REDIS_DOWN: u128 = 1_000;
    const REDIS_UP: u128 = 2_500;
    const POSTGRES_DOWN: u128 = 3_500;
    const POSTGRES_UP: u128 = 5_000;
    const END: u128 = 8_000;
    let phase_of = |at: u128| match at {
        at if at < REDIS_DOWN => 0,
        at if at < REDIS_UP => 1,
        at if at < POSTGRES_DOWN => 2,
        at if at < POSTGRES_UP => 3,
        _ => 4,
    };
    let started = Instant::now();
    let (app, token, source) = (&app, &token, &source);
    let worker = |seed: usize| async move {
        let mut phases: Vec<Phase> = (0..5).map(|_| Phase::default()).collect();
        let mut first_ok_after_postgres: Option<u128> = None;
        let mut n = seed * 1_000_000;
        while started.elapsed().as_millis() < END {
            n += 1;
            // Every other request is cached; the rest read the warehouse.
            let literal = if n.is_multiple_of(2) { 0 } else { n };
            let sql = format!(
                "SELECT status, count(*) AS orders FROM retail.orders GROUP BY status HAVING count(*) > -{literal}"
            );
            let body = json!({ "datasource_id": source, "sql": sql });
            let sent = started.elapsed().as_millis();
            let (status, retry_after, body) = send(app, "POST", "/v1/sql", Some(token), Some(body)).await;
            let done = started.elapsed().as_millis();
            let phase = &mut phases[phase_of(sent)];
            phase.slowest = phase.slowest.max(Duration::from_millis((done - sent) as u64));
            if status == StatusCode::OK {
                phase.ok += 1;
                if done >= POSTGRES_UP {
                    let after = done - POSTGRES_UP;
                    first_ok_after_postgres = Some(first_ok_after_postgres.map_or(after, |first| first.min(after)));
                }
            } else {
                phase.failed.push((status, retry_after, body["error"]["code"].as_str().unwrap_or_default().to_owned()));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        (phases, first_ok_after_postgres)
    };
    let faults = async {
        let wait_until = |at: u128| {
            tokio::time::sleep(Duration::from_millis(at.saturating_sub(started.elapsed().as_millis()) as u64))
        };
        wait_until(REDIS_DOWN).await;
        let pid = std::fs::read_to_string(dir.path().join("redis/redis.pid")).unwrap();
        Command::new("kill").arg(pid.trim()).status().unwrap();
        wait_until(REDIS_UP).await;
        services(&["up", state, &pg, &redis]);
        wait_until(POSTGRES_DOWN).await;
        services(&["stop-postgres", state]);
        wait_until(POSTGRES_UP).await;
        services(&["up", state, &pg, &redis]);
    };
    let (_, results) = tokio::join!(faults, futures_util::future::join_all((0..4).map(worker)));

    let mut phases: Vec<Phase> = (0..5).map(|_| Phase::default()).collect();
    for (worker, _) in &results {
        for (total, phase) in phases.iter_mut().zip(worker) {
            total.ok += phase.ok;
            total.failed.extend(phase.failed.iter().cloned());
            total.slowest = total.slowest.max(phase.slowest);
        }
    }
    let names = ["before", "Redis down", "Redis back", "Postgres down", "Postgres back"];
    for (name, phase) in names.iter().zip(&phases) {
        let (ok, failed, slowest) = (phase.ok, phase.failed.len(), phase.slowest);
        eprintln!("sent {name}: {ok} answered, {failed} failed, slowest {slowest:?}");
    }
    for index in [0, 1] {
        assert!(phases[index].failed.is_empty(), "{}: {:?}", names[index], phases[index].failed);
        assert!(phases[index].ok > 0, "{}: nothing answered", names[index]);
    }
    // A request sent just before Postgres stopped may fail too, so from Redis's return on
    // failures are checked wherever they fell.
    for phase in &phases[2..] {
        for (status, retry_after, code) in &phase.failed {
            assert_eq!(
                (*status, *retry_after, code.as_str()),
                (StatusCode::SERVICE_UNAVAILABLE, true, "service_unavailable")
            );
        }
    }
    let recovered = results.iter().filter_map(|r| r.1).min().expect("no answer after Postgres came back");
    eprintln!("the first answer completed {recovered} ms after Postgres came back");
    assert!(phases[4].ok > 0);

    // Every answer given has both rows: counted as the cluster's superuser, whom row-level
    // security does not bind, across the whole run.
    let answered: usize = phases.iter().map(|p| p.ok).sum();
    let admin = env_value(dir.path(), "SERVICES_PG_ADMIN_URL");
    let admin = format!("{}/kurobe", admin.rsplit_once('/').unwrap().0);
    let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let count = |sql: &'static str| {
        let client = &client;
        async move { client.query_one(sql, &[]).await.unwrap().get::<_, i64>(0) as usize }
    };
    assert_eq!(count("SELECT count(*) FROM query_history WHERE status = 'succeeded'").await, answered);
    assert_eq!(
        count("SELECT count(*) FROM audit_log WHERE action = 'query.sql' AND outcome = 'success'").await,
        answered
    );
}
