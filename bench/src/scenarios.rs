//! The scenarios that need a running server: start-up and memory, Kurobe's own cost per
//! stage, end-to-end latency next to the engines, throughput by concurrency, the semantic
//! query API, and asks at several demo scales.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context as _;
use serde::Serialize;
use serde_json::{Value, json};

use crate::{
    direct::{Engine, Target, TrinoTarget},
    http::{Call, Client, Latency, LoadResult, load},
    server::{Memory, Server},
};

/// The six reference questions of `shared/bench/queries.sql`, in the offline engine's English.
pub const QUESTIONS: [&str; 6] = [
    "What is the total revenue?",
    "What is the revenue by region?",
    "Show revenue by month for 2024",
    "What are the top 10 products by revenue?",
    "How many orders are there by status and region?",
    "How many distinct customers bought in each product category in the first quarter of 2024?",
];

/// The same six as semantic queries.
pub fn semantic_queries() -> Vec<(&'static str, Value)> {
    let revenue = "order_items.revenue";
    let desc = |m: &str| json!([{"member": m, "direction": "desc"}]);
    vec![
        ("total revenue", json!({"measures": [revenue]})),
        ("revenue by region", json!({"measures": [revenue], "dimensions": ["regions.name"], "order": desc(revenue)})),
        (
            "revenue by month, 2024",
            json!({"measures": [revenue], "time_dimension": {"dimension": "orders.order_date", "granularity": "month",
                   "date_range": ["2024-01-01", "2024-12-31"]}}),
        ),
        (
            "top 10 products",
            json!({"measures": [revenue], "dimensions": ["products.name"], "order": desc(revenue), "limit": 10}),
        ),
        (
            "orders by status and region",
            json!({"measures": ["orders.count"], "dimensions": ["orders.status", "regions.name"]}),
        ),
        (
            "customers by category, Q1 2024",
            json!({"measures": ["orders.distinct_customers"], "dimensions": ["products.category"],
                   "time_dimension": {"dimension": "orders.order_date", "date_range": ["2024-01-01", "2024-03-31"]}}),
        ),
    ]
}

#[derive(Debug, Clone)]
pub struct Options {
    pub kurobe: PathBuf,
    pub addr: SocketAddr,
    pub api_key: String,
    pub log: PathBuf,
    pub duckdb: PathBuf,
    pub postgres: Option<PostgresSource>,
    /// Trino's `postgresql` catalog over the same Postgres database.
    pub trino: Option<TrinoTarget>,
    /// Label and DuckDB file of each demo scale.
    pub demo: Vec<(String, PathBuf)>,
    pub load_seconds: f64,
    pub concurrency: Vec<usize>,
    pub iterations_duckdb: usize,
    pub iterations_postgres: usize,
    pub iterations_trino: usize,
    pub startups: usize,
    /// An empty platform database, for start-up with every migration and idle memory with
    /// nothing set up.
    pub empty_database: Option<EmptyDatabase>,
}

#[derive(Debug, Clone)]
pub struct EmptyDatabase {
    pub url: String,
    pub migration_url: String,
}

#[derive(Debug, Clone)]
pub struct PostgresSource {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub password: String,
}

impl PostgresSource {
    fn url(&self) -> String {
        format!(
            "host={} port={} dbname={} user={} password={}",
            self.host, self.port, self.database, self.user, self.password
        )
    }
}

/// A data source as the benchmark uses it: one cached, one with `cache_ttl_seconds: 0`.
#[derive(Debug, Clone)]
struct Source {
    label: String,
    cached: String,
    uncached: String,
    direct: Target,
    iterations: usize,
}

impl Source {
    /// One of the engines compared on the benchmark data (not a demo scale).
    fn is_engine(&self) -> bool {
        ["duckdb", "postgres", "trino"].contains(&self.label.as_str())
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Idle memory two seconds after `/readyz`.
async fn idle_memory(server: &Server) -> anyhow::Result<Memory> {
    tokio::time::sleep(Duration::from_secs(2)).await;
    server.memory()
}

/// A server on an empty database: its first start applies every migration, and its idle
/// memory has no data source opened. Measured twice, with mimalloc's default arena commit and
/// with `MIMALLOC_ARENA_EAGER_COMMIT=0` (what docs/deploy.md offers to trade).
async fn on_empty_database(options: &Options, empty: &EmptyDatabase) -> anyhow::Result<Value> {
    let database = [
        ("KUROBE_DATABASE__URL", empty.url.as_str()),
        ("KUROBE_DATABASE__MIGRATION_URL", empty.migration_url.as_str()),
    ];
    let server = Server::start(&options.kurobe, options.addr, &options.log, &database).await?;
    let migrated_ms = ms(server.ready_after);
    let idle = idle_memory(&server).await?;
    server.stop().await?;
    let lazy = [database[0], database[1], ("MIMALLOC_ARENA_EAGER_COMMIT", "0")];
    let server = Server::start(&options.kurobe, options.addr, &options.log, &lazy).await?;
    let idle_lazy = idle_memory(&server).await?;
    server.stop().await?;
    eprintln!(
        "[bench] empty database: ready after {migrated_ms:.0} ms with every migration; idle RSS {:.1} MiB ({:.1} with lazy arena commit)",
        idle.rss_mib, idle_lazy.rss_mib
    );
    Ok(json!({ "ready_ms_with_migrations": migrated_ms, "idle": idle, "idle_lazy_commit": idle_lazy }))
}

pub async fn run(options: Options) -> anyhow::Result<Value> {
    let mut report = serde_json::Map::new();
    let empty = match &options.empty_database {
        Some(empty) => on_empty_database(&options, empty).await?,
        None => Value::Null,
    };

    // Start-up: a few cold starts (migrations already applied, so `migrate_on_start`
    // only checks them), the last one kept for everything else.
    let mut ready_ms = Vec::new();
    let mut server = None;
    for i in 0..options.startups.max(1) {
        let started = Server::start(&options.kurobe, options.addr, &options.log, &[]).await?;
        ready_ms.push(ms(started.ready_after));
        if i + 1 < options.startups {
            started.stop().await?;
        } else {
            server = Some(started);
        }
    }
    let server = server.context("a server")?;
    let idle = idle_memory(&server).await?;
    eprintln!("[bench] ready after {ready_ms:?} ms; idle RSS {:.1} MiB", idle.rss_mib);
    report.insert("startup".into(), json!({"ready_ms": ready_ms, "ready_ms_median": median(ready_ms.clone())}));

    let mut client = Client::new(options.addr, &options.api_key);
    let sources = ensure_sources(&mut client, &options).await?;
    let idle_after_setup = server.memory()?;

    let duck = sources.iter().find(|s| s.label == "duckdb").context("the DuckDB source")?.clone();
    eprintln!("[bench] stages");
    report.insert("stages".into(), stages(&mut client, &duck.cached).await?);

    eprintln!("[bench] end to end");
    let mut e2e = serde_json::Map::new();
    for source in sources.iter().filter(|s| s.is_engine()) {
        e2e.insert(source.label.clone(), end_to_end(&mut client, source).await?);
    }
    report.insert("end_to_end".into(), Value::Object(e2e));

    eprintln!("[bench] semantic");
    let mut semantic = serde_json::Map::new();
    for source in sources.iter().filter(|s| s.is_engine()) {
        semantic.insert(source.label.clone(), semantic_latency(&mut client, source).await?);
    }
    report.insert("semantic".into(), Value::Object(semantic));

    eprintln!("[bench] throughput");
    let (throughput, under_load) = throughput(&options, &server, &mut client, &duck).await?;
    report.insert("throughput".into(), throughput);

    eprintln!("[bench] demo scales");
    let mut scales = serde_json::Map::new();
    for source in sources.iter().filter(|s| s.label.starts_with("demo")) {
        scales.insert(source.label.clone(), end_to_end(&mut client, source).await?);
    }
    report.insert("demo_scales".into(), Value::Object(scales));

    let after = server.memory()?;
    report.insert(
        "memory".into(),
        json!({
            "empty_database": empty,
            "idle_after_start": idle,
            "idle_after_setup": idle_after_setup,
            "max_rss_under_load_mib": under_load,
            "after_all": after,
        }),
    );
    server.stop().await?;
    Ok(Value::Object(report))
}

/// Creates the benchmark's data sources unless they exist (by name), and warms each.
async fn ensure_sources(client: &mut Client, options: &Options) -> anyhow::Result<Vec<Source>> {
    let existing = client.json(&Call::get("/v1/datasources")).await?;
    let by_name: BTreeMap<String, String> = existing
        .as_array()
        .context("a list of data sources")?
        .iter()
        .filter_map(|s| Some((s["name"].as_str()?.to_owned(), s["id"].as_str()?.to_owned())))
        .collect();
    let mut wanted: Vec<(String, String, Value, Option<Value>, Target, usize)> = vec![(
        "duckdb".into(),
        "Bench DuckDB".into(),
        json!({"kind": "duckdb", "path": options.duckdb}),
        None,
        Target::DuckDb(options.duckdb.clone()),
        options.iterations_duckdb,
    )];
    if let Some(pg) = &options.postgres {
        wanted.push((
            "postgres".into(),
            "Bench Postgres".into(),
            json!({"kind": "postgres", "host": pg.host, "port": pg.port, "database": pg.database, "user": pg.user}),
            Some(json!({"password": pg.password})),
            Target::Postgres(pg.url()),
            options.iterations_postgres,
        ));
    }
    if let Some(trino) = &options.trino {
        wanted.push((
            "trino".into(),
            "Bench Trino".into(),
            json!({"kind": "trino", "url": trino.url, "user": trino.user, "catalog": trino.catalog, "schema": trino.schema}),
            None,
            Target::Trino(trino.clone()),
            options.iterations_trino,
        ));
    }
    for (label, path) in &options.demo {
        wanted.push((
            format!("demo {label}"),
            format!("Bench demo {label}"),
            json!({"kind": "duckdb", "path": path}),
            None,
            Target::DuckDb(path.clone()),
            options.iterations_duckdb.min(7),
        ));
    }
    let mut sources = Vec::new();
    for (label, name, config, credentials, direct, iterations) in wanted {
        let mut ids = Vec::new();
        for (name, ttl) in [(name.clone(), 300), (format!("{name} uncached"), 0)] {
            let id = match by_name.get(&name) {
                Some(id) => id.clone(),
                None => {
                    let mut body = json!({"name": name, "config": config,
                        "limits": {"timeout_seconds": 120, "max_rows": 10_000, "cache_ttl_seconds": ttl}});
                    if let Some(credentials) = &credentials {
                        body["credentials"] = credentials.clone();
                    }
                    let created = client.json(&Call::post("/v1/datasources", &body)).await?;
                    created["id"].as_str().context("a data source id")?.to_owned()
                }
            };
            ids.push(id);
        }
        let [cached, uncached]: [String; 2] = ids.try_into().map_err(|_| anyhow::anyhow!("two ids"))?;
        sources.push(Source { label, cached, uncached, direct, iterations });
    }
    Ok(sources)
}

fn ask(datasource: &str, question: &str) -> Call {
    Call::post("/v1/query", &json!({"datasource_id": datasource, "question": question}))
}

const STAGES: [&str; 7] = ["context_ms", "generate_ms", "guard_ms", "cache_ms", "execute_ms", "chart_ms", "total_ms"];

/// Kurobe's own cost per stage of the offline path, from the `timings` of cached asks
/// (so execution is 0 and what remains is ours), and the client's round trip.
async fn stages(client: &mut Client, datasource: &str) -> anyhow::Result<Value> {
    let mut rows = Vec::new();
    for question in QUESTIONS {
        let call = ask(datasource, question);
        if let Err(e) = client.json(&call).await {
            rows.push(json!({"question": question, "error": format!("{e:#}")}));
            continue;
        }
        let mut per_stage: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        let mut round_trips = Vec::new();
        let mut hits = 0;
        for _ in 0..30 {
            let sent = Instant::now();
            let answer = client.json(&call).await?;
            round_trips.push(sent.elapsed());
            hits += usize::from(answer["cache"]["hit"].as_bool() == Some(true));
            for stage in STAGES {
                per_stage.entry(stage).or_default().push(answer["timings"][stage].as_f64().unwrap_or(f64::NAN));
            }
        }
        let mut row =
            json!({"question": question, "cache_hits": hits, "round_trip": Latency::of_samples(&round_trips)});
        for (stage, values) in per_stage {
            row[stage] = json!(median(values));
        }
        rows.push(row);
    }
    Ok(Value::Array(rows))
}

/// Per question: the engine alone and the uncached ask, alternated so drift hits both;
/// then cached asks. The target: uncached p50 ≤ engine p50 × 1.05 + 5 ms.
async fn end_to_end(client: &mut Client, source: &Source) -> anyhow::Result<Value> {
    let requests = QUESTIONS.iter().map(|q| (q.to_string(), "/v1/query", json!({"question": q}))).collect();
    compare(client, source, requests).await
}

/// The semantic query API, uncached and cached, next to its compiled SQL on the engine.
async fn semantic_latency(client: &mut Client, source: &Source) -> anyhow::Result<Value> {
    let requests = semantic_queries()
        .into_iter()
        .map(|(name, query)| (name.to_owned(), "/v1/semantic/query", json!({"query": query})))
        .collect();
    compare(client, source, requests).await
}

/// For each (name, route, body less the data source): the SQL Kurobe ran, on the engine
/// alone, alternated with the same request on the uncached source; then the cached source.
/// A request that fails (a question the engine cannot run, say) is a row with its error.
async fn compare(client: &mut Client, source: &Source, requests: Vec<(String, &str, Value)>) -> anyhow::Result<Value> {
    let mut engine = Engine::open(&source.direct).await?;
    let mut rows = Vec::new();
    for (name, route, body) in requests {
        let row = match measure(client, &mut engine, source, route, &body).await {
            Ok(mut row) => {
                row["name"] = json!(name);
                row
            }
            Err(e) => {
                eprintln!("[bench]   {}: {name}: {e:#}", source.label);
                json!({"name": name, "error": format!("{e:#}")})
            }
        };
        rows.push(row);
    }
    Ok(Value::Array(rows))
}

/// One request of [`compare`]: its figures, or the first error.
async fn measure(
    client: &mut Client,
    engine: &mut Engine,
    source: &Source,
    route: &str,
    body: &Value,
) -> anyhow::Result<Value> {
    let call_on = |datasource: &str| {
        let mut body = body.clone();
        body["datasource_id"] = json!(datasource);
        Call::post(route, &body)
    };
    let call = call_on(&source.uncached);
    let first = client.json(&call).await?;
    let sql = first["sql"].as_str().context("the SQL of the answer")?.to_owned();
    let (_, engine_rows) = engine.run(&sql).await.with_context(|| format!("{} alone", source.label))?;
    let (mut direct, mut uncached, mut execute, mut own) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..source.iterations {
        direct.push(engine.run(&sql).await?.0);
        let sent = Instant::now();
        let answer = client.json(&call).await?;
        let round_trip = sent.elapsed();
        uncached.push(round_trip);
        let execute_ms = answer["timings"]["execute_ms"].as_f64().unwrap_or(f64::NAN);
        execute.push(execute_ms);
        own.push(ms(round_trip) - execute_ms);
    }
    let cached_call = call_on(&source.cached);
    client.json(&cached_call).await?;
    let mut cached = Vec::new();
    for _ in 0..source.iterations.max(10) {
        let sent = Instant::now();
        client.json(&cached_call).await?;
        cached.push(sent.elapsed());
    }
    let direct = Latency::of_samples(&direct);
    let uncached = Latency::of_samples(&uncached);
    let target_ms = direct.p50_ms * 1.05 + 5.0;
    Ok(json!({
        "sql": sql,
        "rows": first["row_count"],
        "engine_rows": engine_rows,
        "direct": direct,
        "uncached": uncached,
        "cached": Latency::of_samples(&cached),
        "server_execute_ms_p50": median(execute),
        "round_trip_minus_execute_ms_p50": median(own),
        "overhead_ratio_p50": uncached.p50_ms / direct.p50_ms,
        "target_ms": target_ms,
        "meets_target": uncached.p50_ms <= target_ms,
    }))
}

#[derive(Debug, Serialize)]
struct Run {
    #[serde(flatten)]
    result: LoadResult,
    /// The server's user + system CPU per request (the load generator shares the cores).
    server_cpu_ms_per_request: f64,
    server_max_rss_mib: f64,
}

/// A fixed-duration run with the server's CPU time and its resident memory sampled.
async fn measured(
    options: &Options,
    server: &Server,
    calls: &Arc<Vec<Call>>,
    connections: usize,
) -> anyhow::Result<Run> {
    let cpu_before = server.cpu_time()?;
    let pid = server.pid;
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = Arc::clone(&done);
        tokio::spawn(async move {
            let mut max: f64 = 0.0;
            while !done.load(Ordering::Relaxed) {
                if let Ok(memory) = Memory::of(pid) {
                    max = max.max(memory.rss_mib);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            max
        })
    };
    let result = load(
        options.addr,
        &options.api_key,
        Arc::clone(calls),
        connections,
        Duration::from_secs_f64(options.load_seconds),
    )
    .await;
    done.store(true, Ordering::Relaxed);
    let server_max_rss_mib = sampler.await?;
    let cpu = server.cpu_time()? - cpu_before;
    let server_cpu_ms_per_request = ms(cpu) / result.requests.max(1) as f64;
    eprintln!(
        "[bench]   {connections:>3} connections: {:>8.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors, {:.3} server CPU ms/req",
        result.requests_per_second,
        result.latency.p50_ms,
        result.latency.p99_ms,
        result.errors,
        server_cpu_ms_per_request
    );
    Ok(Run { result, server_cpu_ms_per_request, server_max_rss_mib })
}

/// Cached asks at each concurrency; then, at 64 connections, cached semantic queries,
/// cached SQL, and two floors that say where the time goes: an authenticated route that
/// does nothing but authenticate (`/v1/auth/me`) and the unauthenticated `/healthz`.
async fn throughput(
    options: &Options,
    server: &Server,
    client: &mut Client,
    duck: &Source,
) -> anyhow::Result<(Value, f64)> {
    let asks: Arc<Vec<Call>> = Arc::new(QUESTIONS.iter().map(|q| ask(&duck.cached, q)).collect());
    for call in asks.iter() {
        client.json(call).await?;
    }
    let mut max_rss: f64 = 0.0;
    let mut by_concurrency = Vec::new();
    for &connections in &options.concurrency {
        let run = measured(options, server, &asks, connections).await?;
        max_rss = max_rss.max(run.server_max_rss_mib);
        by_concurrency.push(run);
    }
    let semantic: Arc<Vec<Call>> = Arc::new(
        semantic_queries()
            .into_iter()
            .map(|(_, query)| Call::post("/v1/semantic/query", &json!({"datasource_id": duck.cached, "query": query})))
            .collect(),
    );
    // The SQL the offline engine wrote for each question, sent as SQL.
    let mut sql_calls = Vec::new();
    for question in QUESTIONS {
        let answer = client.json(&ask(&duck.cached, question)).await?;
        let text = answer["sql"].as_str().context("the SQL of the answer")?;
        sql_calls.push(Call::post("/v1/sql", &json!({"datasource_id": duck.cached, "sql": text})));
    }
    let sql = Arc::new(sql_calls);
    for calls in [&semantic, &sql] {
        for call in calls.iter() {
            client.json(call).await?;
        }
    }
    let me: Arc<Vec<Call>> = Arc::new(vec![Call::get("/v1/auth/me")]);
    let health: Arc<Vec<Call>> = Arc::new(vec![Call::get("/healthz")]);
    let mut at_64 = serde_json::Map::new();
    for (name, calls) in [("semantic_cached", &semantic), ("sql_cached", &sql), ("auth_me", &me), ("healthz", &health)]
    {
        let run = measured(options, server, calls, 64).await?;
        max_rss = max_rss.max(run.server_max_rss_mib);
        at_64.insert(name.into(), serde_json::to_value(run)?);
    }
    Ok((json!({"cached_ask": by_concurrency, "at_64_connections": at_64}), max_rss))
}
