//! One conformance suite, run against DuckDB, Postgres and Trino, all real: type
//! round-trips, introspection of a known schema, the row cap, the timeout with the query
//! gone from the server, and bad SQL answered with the engine's own message.
//!
//! Needs the services `make test` starts: `KUROBE_TEST_ADMIN_URL` (Postgres) and
//! `KUROBE_TEST_TRINO_URL` (Trino 435).

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use kurobe_connector::{
    Connector, ConnectorError, DataType, ExecRequest, IntrospectOptions, Limits, RowBatch, STREAM_BATCH, TableKind,
    Value,
};
use kurobe_duckdb::{DuckDbConnector, DuckDbSource};
use kurobe_postgres::{PostgresConfig, PostgresConnector};
use kurobe_trino::{TrinoAuth, TrinoConfig, TrinoConnector};
use serde_json::json;

/// What an engine keeps in its catalog.
struct Capabilities {
    keys: bool,
    comments: bool,
    not_null: bool,
}

/// Asks the server whether a query carrying the marker still runs.
type GoneProbe = Box<dyn Fn(String) -> std::pin::Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// One engine under test, with its fixture loaded.
struct Engine {
    name: &'static str,
    connector: Box<dyn Connector>,
    schema: String,
    capabilities: Capabilities,
    /// SELECTs the same typed values in this dialect (see `expected_values`).
    types_sql: &'static str,
    /// A query that runs for minutes; `{marker}` is replaced by a unique string.
    long_query: &'static str,
    /// Resolves once no query containing `marker` runs on the server any more.
    gone: GoneProbe,
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run the tests through `make test`"))
}

const FIXTURE: &str = "
CREATE SCHEMA conformance;
CREATE TABLE conformance.customers (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, country VARCHAR(2));
COMMENT ON TABLE conformance.customers IS 'People who buy';
COMMENT ON COLUMN conformance.customers.country IS 'Where they live';
CREATE TABLE conformance.orders (
  id BIGINT PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES conformance.customers (id),
  amount DECIMAL(10,2) NOT NULL,
  ordered_at DATE NOT NULL,
  status VARCHAR(20) NOT NULL
);
INSERT INTO conformance.customers
  SELECT i, 'Customer ' || i, CASE i % 3 WHEN 0 THEN 'DE' WHEN 1 THEN 'FR' ELSE 'JP' END FROM generate_series(1, 30) AS t(i);
INSERT INTO conformance.orders
  SELECT i, 1 + i % 30, (i * 7 % 100) + 0.5, DATE '2024-01-01' + CAST(i AS INTEGER),
         CASE WHEN i % 10 = 0 THEN 'returned' ELSE 'completed' END
  FROM generate_series(1, 100) AS t(i);
CREATE VIEW conformance.big_orders AS SELECT * FROM conformance.orders WHERE amount > 50;
";

fn expected_values() -> Vec<Value> {
    vec![
        Value::Int(42),
        Value::Int(i64::MAX),
        Value::Decimal("12.30".into()),
        Value::Decimal("12345678901234567890.0123456789".into()),
        Value::Decimal("-0.05".into()),
        Value::Float(1.5),
        Value::Bool(true),
        Value::Text("héllo ☃".into()),
        Value::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()),
        Value::Timestamp(NaiveDateTime::parse_from_str("2024-01-02 03:04:05.123", "%Y-%m-%d %H:%M:%S%.f").unwrap()),
        Value::TimestampTz(DateTime::from_timestamp(1_704_164_645, 0).unwrap()),
        Value::Json(json!({"a": [1, 2]})),
        Value::Array(vec![Value::Int(1), Value::Int(2), Value::Null]),
        Value::Null,
    ]
}

async fn duckdb() -> Engine {
    let connector = DuckDbConnector::open_with_setup(DuckDbSource::Memory, |c| c.execute_batch(FIXTURE)).unwrap();
    let probe = connector.clone();
    Engine {
        name: "duckdb",
        connector: Box::new(connector),
        schema: "conformance".into(),
        capabilities: Capabilities { keys: true, comments: true, not_null: true },
        types_sql: concat!(
            "SELECT CAST(42 AS INTEGER) AS i, CAST(9223372036854775807 AS BIGINT) AS big, ",
            "CAST('12.30' AS DECIMAL(10,2)) AS money, CAST('12345678901234567890.0123456789' AS DECIMAL(30,10)) AS wide, ",
            "CAST('-0.05' AS DECIMAL(10,2)) AS negative, ",
            "CAST(1.5 AS DOUBLE) AS f, TRUE AS b, 'héllo ☃' AS t, DATE '2024-02-29' AS d, ",
            "TIMESTAMP '2024-01-02 03:04:05.123' AS ts, TIMESTAMPTZ '2024-01-02 03:04:05+00' AS tz, ",
            "CAST('{\"a\":[1,2]}' AS JSON) AS j, CAST([1, 2, NULL] AS INTEGER[]) AS a, CAST(NULL AS INTEGER) AS n"
        ),
        long_query: "SELECT count(*) FROM range(100000000000) a, range(1000) b WHERE a.range + b.range = -1 AND '{marker}' <> ''",
        gone: Box::new(move |_| {
            let probe = probe.clone();
            Box::pin(async move { probe.queries_running() == 0 })
        }),
    }
}

async fn postgres() -> Engine {
    let admin = env("KUROBE_TEST_ADMIN_URL");
    let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let database = format!("kurobe_test_conn_{}", uuid::Uuid::new_v4().simple());
    client.batch_execute(&format!("CREATE DATABASE {database}")).await.unwrap();
    let config: tokio_postgres::Config = admin.parse().unwrap();
    let host = match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(host) => host.clone(),
        other => panic!("{other:?}"),
    };
    let password = config.get_password().map(|p| String::from_utf8(p.to_vec()).unwrap());
    let pg = PostgresConfig {
        host,
        port: config.get_ports()[0],
        database: database.clone(),
        user: config.get_user().unwrap().to_owned(),
        password,
        pool_size: 4,
        connect_timeout: Duration::from_secs(5),
    };
    let (fixture, connection) = config.clone().dbname(&database).connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    fixture.batch_execute(FIXTURE).await.unwrap();
    fixture.batch_execute("ANALYZE").await.unwrap();
    Engine {
        name: "postgres",
        connector: Box::new(PostgresConnector::new(&pg).unwrap()),
        schema: "conformance".into(),
        capabilities: Capabilities { keys: true, comments: true, not_null: true },
        types_sql: concat!(
            "SELECT CAST(42 AS INTEGER) AS i, CAST(9223372036854775807 AS BIGINT) AS big, ",
            "CAST('12.30' AS DECIMAL(10,2)) AS money, CAST('12345678901234567890.0123456789' AS DECIMAL(30,10)) AS wide, ",
            "CAST('-0.05' AS DECIMAL(10,2)) AS negative, ",
            "CAST(1.5 AS DOUBLE PRECISION) AS f, TRUE AS b, 'héllo ☃' AS t, DATE '2024-02-29' AS d, ",
            "TIMESTAMP '2024-01-02 03:04:05.123' AS ts, TIMESTAMPTZ '2024-01-02 03:04:05+00' AS tz, ",
            "CAST('{\"a\":[1,2]}' AS JSONB) AS j, ARRAY[1, 2, NULL]::INTEGER[] AS a, CAST(NULL AS INTEGER) AS n"
        ),
        long_query: "SELECT pg_sleep(300), '{marker}'",
        gone: Box::new(move |marker| {
            let admin = admin.clone();
            Box::pin(async move {
                let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls).await.unwrap();
                tokio::spawn(connection);
                let pattern = format!("%{marker}%");
                let row = client
                    .query_one(
                        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()",
                        &[&pattern],
                    )
                    .await
                    .unwrap();
                row.get::<_, i64>(0) == 0
            })
        }),
    }
}

async fn trino() -> Engine {
    let url = env("KUROBE_TEST_TRINO_URL");
    let schema = format!("conformance_{}", uuid::Uuid::new_v4().simple());
    let config = TrinoConfig {
        url: url.clone(),
        user: "kurobe".into(),
        auth: TrinoAuth::None,
        catalog: "memory".into(),
        schema: Some(schema.clone()),
        allow_insecure_auth: false,
    };
    let connector = TrinoConnector::new(config).unwrap();
    let setup = [
        format!("CREATE SCHEMA memory.{schema}"),
        format!(
            "CREATE TABLE memory.{schema}.customers AS SELECT CAST(i AS INTEGER) AS id, 'Customer ' || CAST(i AS VARCHAR) AS name, \
             CASE i % 3 WHEN 0 THEN 'DE' WHEN 1 THEN 'FR' ELSE 'JP' END AS country FROM UNNEST(sequence(1, 30)) AS t(i)"
        ),
        format!(
            "CREATE TABLE memory.{schema}.orders AS SELECT CAST(i AS BIGINT) AS id, CAST(1 + i % 30 AS INTEGER) AS customer_id, \
             CAST((i * 7 % 100) + 0.5 AS DECIMAL(10,2)) AS amount, date_add('day', i, DATE '2024-01-01') AS ordered_at, \
             CASE WHEN i % 10 = 0 THEN 'returned' ELSE 'completed' END AS status FROM UNNEST(sequence(1, 100)) AS t(i)"
        ),
        format!("CREATE VIEW memory.{schema}.big_orders AS SELECT * FROM memory.{schema}.orders WHERE amount > 50"),
    ];
    for sql in setup {
        connector.execute(&sql, &ExecRequest::default()).await.unwrap();
    }
    Engine {
        name: "trino",
        connector: Box::new(connector),
        schema,
        capabilities: Capabilities { keys: false, comments: false, not_null: false },
        types_sql: concat!(
            "SELECT CAST(42 AS INTEGER) AS i, CAST(9223372036854775807 AS BIGINT) AS big, ",
            "CAST('12.30' AS DECIMAL(10,2)) AS money, CAST('12345678901234567890.0123456789' AS DECIMAL(30,10)) AS wide, ",
            "CAST('-0.05' AS DECIMAL(10,2)) AS negative, ",
            "CAST(1.5 AS DOUBLE) AS f, TRUE AS b, 'héllo ☃' AS t, DATE '2024-02-29' AS d, ",
            "TIMESTAMP '2024-01-02 03:04:05.123' AS ts, TIMESTAMP '2024-01-02 03:04:05 UTC' AS tz, ",
            "json_parse('{\"a\":[1,2]}') AS j, ARRAY[1, 2, NULL] AS a, CAST(NULL AS INTEGER) AS n"
        ),
        long_query: "SELECT count(*) FROM tpch.sf1000.lineitem WHERE comment <> '{marker}'",
        gone: Box::new(move |marker| {
            let url = url.clone();
            Box::pin(async move {
                let queries: serde_json::Value = reqwest::Client::new()
                    .get(format!("{url}/v1/query"))
                    .header("X-Trino-User", "kurobe")
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                !queries.as_array().unwrap().iter().any(|q| {
                    q["query"].as_str().is_some_and(|text| text.contains(&marker))
                        && matches!(
                            q["state"].as_str(),
                            Some("QUEUED" | "PLANNING" | "STARTING" | "RUNNING" | "FINISHING")
                        )
                })
            })
        }),
    }
}

async fn engines() -> Vec<Engine> {
    vec![duckdb().await, postgres().await, trino().await]
}

fn request(timeout: Duration, max_rows: usize) -> ExecRequest {
    ExecRequest { limits: Limits { timeout, max_rows, ..Limits::default() }, ..ExecRequest::default() }
}

#[tokio::test]
async fn values_round_trip_with_their_types() {
    for engine in engines().await {
        let result = engine.connector.execute(engine.types_sql, &ExecRequest::default()).await.unwrap();
        assert_eq!(result.rows.len(), 1, "{}", engine.name);
        let names: Vec<&str> = result.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["i", "big", "money", "wide", "negative", "f", "b", "t", "d", "ts", "tz", "j", "a", "n"],
            "{}",
            engine.name
        );
        for ((column, got), expected) in result.columns.iter().zip(&result.rows[0]).zip(expected_values()) {
            assert_eq!(*got, expected, "{}: column {} ({})", engine.name, column.name, column.native_type);
        }
        let kinds: Vec<DataType> = result.columns.iter().map(|c| c.data_type.clone()).collect();
        assert_eq!(kinds[0], DataType::Integer { bits: 32 }, "{}", engine.name);
        assert_eq!(kinds[1], DataType::Integer { bits: 64 }, "{}", engine.name);
        assert!(matches!(kinds[2], DataType::Decimal { .. }), "{}: {:?}", engine.name, kinds[2]);
        assert_eq!(kinds[8], DataType::Date, "{}", engine.name);
        assert_eq!(kinds[9], DataType::Timestamp, "{}", engine.name);
        assert_eq!(kinds[10], DataType::TimestampTz, "{}", engine.name);
        assert_eq!(kinds[11], DataType::Json, "{}", engine.name);
        assert!(matches!(kinds[12], DataType::Array { .. }), "{}: {:?}", engine.name, kinds[12]);
        let info = engine.connector.test().await.unwrap();
        assert!(!info.version.is_empty(), "{}", engine.name);
    }
}

#[tokio::test]
async fn introspection_describes_the_known_schema() {
    for engine in engines().await {
        // At most 10 distinct values: country (3) and status (2) qualify, name (30) does not.
        let options = IntrospectOptions {
            schemas: vec![engine.schema.clone()],
            max_sample_values: 10,
            ..IntrospectOptions::default()
        };
        let schema = engine.connector.introspect(&options).await.unwrap();
        let names: Vec<(&str, TableKind)> = schema.tables.iter().map(|t| (t.name.as_str(), t.kind)).collect();
        assert_eq!(
            names,
            [("big_orders", TableKind::View), ("customers", TableKind::Table), ("orders", TableKind::Table)],
            "{}",
            engine.name
        );
        let orders = schema.table(&engine.schema, "orders").unwrap();
        let columns: Vec<&str> = orders.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(columns, ["id", "customer_id", "amount", "ordered_at", "status"], "{}", engine.name);
        assert_eq!(
            orders.column("amount").unwrap().data_type,
            DataType::Decimal { precision: Some(10), scale: Some(2) },
            "{}",
            engine.name
        );
        assert_eq!(orders.column("ordered_at").unwrap().data_type, DataType::Date, "{}", engine.name);
        // Low-cardinality text is sampled, most frequent first; high-cardinality is not.
        let status = orders.column("status").unwrap();
        assert_eq!(
            status.sample_values.as_deref(),
            Some(&["completed".to_owned(), "returned".to_owned()][..]),
            "{}",
            engine.name
        );
        let customers = schema.table(&engine.schema, "customers").unwrap();
        assert_eq!(
            customers.column("country").unwrap().sample_values.as_ref().map(Vec::len),
            Some(3),
            "{}",
            engine.name
        );
        assert!(customers.column("name").unwrap().sample_values.is_none(), "{}", engine.name);

        if engine.capabilities.not_null {
            assert!(!orders.column("status").unwrap().nullable, "{}", engine.name);
            assert!(customers.column("country").unwrap().nullable, "{}", engine.name);
        }
        if engine.capabilities.keys {
            assert_eq!(orders.primary_key, ["id"], "{}", engine.name);
            let fk = &orders.foreign_keys[0];
            assert_eq!(
                (fk.columns.as_slice(), fk.referenced_table.as_str(), fk.referenced_columns.as_slice()),
                (&["customer_id".to_owned()][..], "customers", &["id".to_owned()][..]),
                "{}",
                engine.name
            );
        }
        if engine.capabilities.comments {
            assert_eq!(customers.comment.as_deref(), Some("People who buy"), "{}", engine.name);
            assert_eq!(
                customers.column("country").unwrap().comment.as_deref(),
                Some("Where they live"),
                "{}",
                engine.name
            );
        }
    }
}

#[tokio::test]
async fn the_row_cap_truncates_and_says_so() {
    for engine in engines().await {
        let sql = format!("SELECT id FROM {}.orders ORDER BY id", engine.schema);
        let capped = engine.connector.execute(&sql, &request(Duration::from_secs(30), 10)).await.unwrap();
        assert_eq!((capped.rows.len(), capped.truncated), (10, true), "{}", engine.name);
        assert_eq!(capped.rows[9], vec![Value::Int(10)], "{}", engine.name);
        let whole = engine.connector.execute(&sql, &request(Duration::from_secs(30), 100)).await.unwrap();
        assert_eq!((whole.rows.len(), whole.truncated), (100, false), "{}", engine.name);
    }
}

/// Streams a query into batches the test reads slowly: (columns, rows, batches, truncated).
async fn stream(engine: &Engine, sql: &str, max_rows: usize) -> (Vec<String>, usize, usize, bool) {
    let (sender, mut receiver) = tokio::sync::mpsc::channel(1);
    let reader = async {
        let (mut columns, mut rows, mut batches) = (Vec::new(), 0, 0);
        while let Some(batch) = receiver.recv().await {
            match batch {
                RowBatch::Columns(names) => {
                    assert_eq!((rows, batches), (0, 0), "{}: columns come first", engine.name);
                    columns = names.into_iter().map(|c| c.name).collect();
                }
                RowBatch::Rows(batch) => {
                    assert!(batch.len() <= STREAM_BATCH.max(10_000), "{}", engine.name);
                    rows += batch.len();
                    batches += 1;
                }
            }
        }
        (columns, rows, batches)
    };
    let limits = request(Duration::from_secs(60), max_rows);
    let (truncated, (columns, rows, batches)) = tokio::join!(engine.connector.stream(sql, &limits, sender), reader);
    (columns, rows, batches, truncated.unwrap())
}

#[tokio::test]
async fn a_stream_hands_rows_on_in_batches_within_the_row_cap() {
    for engine in engines().await {
        let sql = format!("SELECT a.id AS a, b.id AS b FROM {0}.orders a CROSS JOIN {0}.orders b", engine.schema);
        let (columns, rows, batches, truncated) = stream(&engine, &sql, 1_000_000).await;
        assert_eq!((columns, rows, truncated), (vec!["a".into(), "b".into()], 10_000, false), "{}", engine.name);
        assert!(batches > 1, "{}: {batches} batches", engine.name);
        let (_, rows, _, truncated) = stream(&engine, &sql, 2_500).await;
        assert_eq!((rows, truncated), (2_500, true), "{}", engine.name);

        // A reader that goes away stops the query instead of blocking it.
        let (sender, mut receiver) = tokio::sync::mpsc::channel(1);
        let started = Instant::now();
        let limits = request(Duration::from_secs(60), 1_000_000);
        let streaming = engine.connector.stream(&sql, &limits, sender);
        let abandon = async {
            receiver.recv().await;
            drop(receiver);
        };
        let (outcome, ()) = tokio::join!(streaming, abandon);
        outcome.unwrap();
        assert!(started.elapsed() < Duration::from_secs(20), "{}", engine.name);
    }
}

#[tokio::test]
async fn a_timeout_stops_the_query_on_the_server() {
    for engine in engines().await {
        let marker = format!("marker-{}", uuid::Uuid::new_v4().simple());
        let sql = engine.long_query.replace("{marker}", &marker);
        let started = Instant::now();
        let err = engine.connector.execute(&sql, &request(Duration::from_millis(1500), 10)).await.unwrap_err();
        assert_eq!(err, ConnectorError::Timeout(Duration::from_millis(1500)), "{}", engine.name);
        assert!(started.elapsed() < Duration::from_secs(6), "{}: {:?}", engine.name, started.elapsed());
        let deadline = Instant::now() + Duration::from_secs(10);
        while !(engine.gone)(marker.clone()).await {
            assert!(Instant::now() < deadline, "{}: the query still runs on the server", engine.name);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // The connector serves the next query normally.
        let again = engine.connector.execute("SELECT 1", &ExecRequest::default()).await.unwrap();
        assert_eq!(again.rows, vec![vec![Value::Int(1)]], "{}", engine.name);
    }
}

#[tokio::test]
async fn bad_sql_is_answered_with_the_engines_message() {
    for engine in engines().await {
        let err = engine
            .connector
            .execute("SELECT * FROM no_such_table_anywhere", &ExecRequest::default())
            .await
            .unwrap_err();
        match err {
            ConnectorError::Query(message) => {
                assert!(message.contains("no_such_table_anywhere"), "{}: {message}", engine.name)
            }
            other => panic!("{}: {other:?}", engine.name),
        }
        let err = engine.connector.execute("SELEC 1", &ExecRequest::default()).await.unwrap_err();
        assert!(matches!(err, ConnectorError::Query(_)), "{}: {err:?}", engine.name);
    }
}

#[tokio::test]
async fn dropping_the_future_stops_the_query_on_the_server() {
    for engine in engines().await {
        let marker = format!("marker-{}", uuid::Uuid::new_v4().simple());
        let sql = engine.long_query.replace("{marker}", &marker);
        // The caller gives up (a client that disconnected): the connector's own timeout is far away.
        let gave_up = tokio::time::timeout(
            Duration::from_millis(1500),
            engine.connector.execute(&sql, &request(Duration::from_secs(120), 10)),
        )
        .await;
        assert!(gave_up.is_err(), "{}: the long query finished", engine.name);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !(engine.gone)(marker.clone()).await {
            assert!(Instant::now() < deadline, "{}: the abandoned query still runs on the server", engine.name);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
