//! The demo dataset loads into DuckDB, Postgres and (through its postgresql catalog) Trino,
//! and all three give the same answers.

use std::time::Duration;

use axum::http::StatusCode;
use kurobe_connector::{Connector, ExecRequest, Value};
use kurobe_demo::ScaleFactor;
use kurobe_duckdb::{DuckDbConnector, DuckDbSource};
use kurobe_postgres::{PostgresConfig, PostgresConnector};
use kurobe_server::demo::{load_duckdb, load_postgres};
use kurobe_trino::{TrinoAuth, TrinoConfig, TrinoConnector};
use serde_json::json;

use crate::support::TestApp;

const CHECKS: &str = "SELECT (SELECT count(*) FROM retail.orders) AS orders, \
     (SELECT count(*) FROM retail.order_items) AS items, \
     (SELECT sum(quantity * unit_price) FROM retail.order_items) AS revenue, \
     (SELECT count(DISTINCT status) FROM retail.orders) AS statuses";

async fn answers(connector: &dyn Connector) -> Vec<Value> {
    let mut row = connector.execute(CHECKS, &ExecRequest::default()).await.unwrap().rows.remove(0);
    // Engines differ in the scale of a product of decimals; compare the number itself.
    if let Value::Decimal(revenue) = &row[2] {
        row[2] = Value::Decimal(revenue.trim_end_matches('0').trim_end_matches('.').to_owned());
    }
    row
}

#[tokio::test]
async fn the_demo_loads_into_every_engine_with_the_same_answers() {
    let scale = ScaleFactor::new(0.002).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.duckdb");
    let loaded = load_duckdb(&file, scale).await.unwrap();
    let duckdb = DuckDbConnector::open(DuckDbSource::File(file)).unwrap();
    let expected = answers(&duckdb).await;
    assert_eq!(expected[0], Value::Int(2_000));
    assert!(matches!(expected[1], Value::Int(n) if (5_000..7_000).contains(&n)), "{expected:?}");
    assert_eq!(expected[3], Value::Int(5));

    let admin: tokio_postgres::Config = std::env::var("KUROBE_TEST_ADMIN_URL").unwrap().parse().unwrap();
    let mut target = admin.clone();
    target.dbname("kurobe_test_demo");
    assert_eq!(load_postgres(&target, "retail", scale).await.unwrap(), loaded);
    let host = match &admin.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
        other => panic!("{other:?}"),
    };
    let postgres = PostgresConnector::new(&PostgresConfig {
        host,
        port: admin.get_ports()[0],
        database: "kurobe_test_demo".into(),
        user: admin.get_user().unwrap().into(),
        password: admin.get_password().map(|p| String::from_utf8(p.to_vec()).unwrap()),
        pool_size: 2,
        connect_timeout: Duration::from_secs(5),
    })
    .unwrap();
    assert_eq!(answers(&postgres).await, expected);

    let trino = TrinoConnector::new(TrinoConfig {
        url: std::env::var("KUROBE_TEST_TRINO_URL").unwrap(),
        user: "kurobe".into(),
        auth: TrinoAuth::None,
        catalog: "postgresql".into(),
        schema: Some("retail".into()),
        allow_insecure_auth: false,
    })
    .unwrap();
    assert_eq!(answers(&trino).await, expected);

    // The same questions, edited SQL and semantic queries over HTTP, through the whole ask
    // path, against a data source on each engine: the same rows from all three.
    let mut settings = crate::support::settings();
    settings.connectors.duckdb_dirs = vec![dir.path().to_path_buf()];
    let app = TestApp::with_settings(settings).await;
    let owner = app.signup("owner@example.com", "Acme").await;
    let password = admin.get_password().map(|p| String::from_utf8(p.to_vec()).unwrap());
    let sources = [
        json!({ "name": "On DuckDB", "config": { "kind": "duckdb", "path": dir.path().join("demo.duckdb").display().to_string() } }),
        json!({
            "name": "On Postgres",
            "config": { "kind": "postgres", "host": "127.0.0.1", "port": admin.get_ports()[0], "database": "kurobe_test_demo", "user": admin.get_user().unwrap() },
            "credentials": { "password": password },
        }),
        json!({
            "name": "On Trino",
            "config": { "kind": "trino", "url": std::env::var("KUROBE_TEST_TRINO_URL").unwrap(), "user": "kurobe", "catalog": "postgresql", "schema": "retail" },
        }),
    ];
    let mut ids = Vec::new();
    for source in sources {
        let created = app.post("/v1/datasources", Some(&owner.token), source).await.expect(StatusCode::CREATED).body;
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let requests = [
        ("/v1/query", json!({ "question": "How many orders are there by status?" })),
        ("/v1/query", json!({ "question": "What is the average list price of products by category?" })),
        ("/v1/query", json!({ "question": "How many customers are there per segment?" })),
        (
            "/v1/sql",
            json!({ "sql": "SELECT r.name, count(*) AS stores FROM retail.stores s JOIN retail.regions r ON r.region_id = s.region_id GROUP BY r.name" }),
        ),
        ("/v1/semantic/query", json!({ "query": { "measures": ["orders.count"], "dimensions": ["orders.status"] } })),
    ];
    for (path, body) in requests {
        let mut results = Vec::new();
        for id in &ids {
            let mut body = body.clone();
            body["datasource_id"] = json!(id);
            let answer = app.post(path, Some(&owner.token), body.clone()).await.expect(StatusCode::OK).body;
            results.push(comparable(&answer["rows"]));
        }
        assert!(!results[0].is_empty(), "{path} {body}");
        assert_eq!(results[0], results[1], "{path} {body}: DuckDB and Postgres differ");
        assert_eq!(results[0], results[2], "{path} {body}: DuckDB and Trino differ");
    }
}

/// Rows as sorted text with numbers rounded to cents, since engines differ in the types and
/// the scale they give the same values (Trino's average of a decimal keeps its scale).
fn comparable(rows: &serde_json::Value) -> Vec<Vec<String>> {
    let cell = |v: &serde_json::Value| match v {
        serde_json::Value::Number(n) => format!("{:.2}", n.as_f64().unwrap()),
        serde_json::Value::String(s) => s.parse::<f64>().map_or_else(|_| s.clone(), |n| format!("{n:.2}")),
        other => other.to_string(),
    };
    let mut rows: Vec<Vec<String>> =
        rows.as_array().unwrap().iter().map(|r| r.as_array().unwrap().iter().map(cell).collect()).collect();
    rows.sort();
    rows
}
