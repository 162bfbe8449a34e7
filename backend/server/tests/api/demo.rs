//! The demo dataset loads into DuckDB, Postgres and (through its postgresql catalog) Trino,
//! and all three give the same answers.

use std::time::Duration;

use kurobe_connector::{Connector, ExecRequest, Value};
use kurobe_demo::ScaleFactor;
use kurobe_duckdb::{DuckDbConnector, DuckDbSource};
use kurobe_postgres::{PostgresConfig, PostgresConnector};
use kurobe_server::demo::{load_duckdb, load_postgres};
use kurobe_trino::{TrinoAuth, TrinoConfig, TrinoConnector};

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
}
