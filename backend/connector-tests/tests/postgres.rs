//! What only the Postgres connector does: read-only transactions the database enforces, and
//! per-request settings that a customer's own row-level security reads.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use kurobe_connector::{Connector, ConnectorError, ExecRequest, Value};
use kurobe_postgres::{PostgresConfig, PostgresConnector};

/// A database with a table under the customer's own RLS, and a reader role bound by it.
async fn customer_database() -> PostgresConnector {
    let admin: tokio_postgres::Config = std::env::var("KUROBE_TEST_ADMIN_URL").unwrap().parse().unwrap();
    let (client, connection) = admin.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let database = format!("kurobe_test_rls_{}", uuid::Uuid::new_v4().simple());
    // The reader role is shared by the cluster and by the tests running in parallel: made
    // once, under a lock, with a fixed password (it exists only in the test cluster).
    let password = "kurobe-test-reader".to_owned();
    client.batch_execute(&format!("CREATE DATABASE {database}")).await.unwrap();
    client
        .batch_execute(
            "BEGIN; SELECT pg_advisory_xact_lock(4242); \
             DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kurobe_test_reader') THEN \
             CREATE ROLE kurobe_test_reader LOGIN; END IF; END $$; \
             ALTER ROLE kurobe_test_reader PASSWORD 'kurobe-test-reader'; COMMIT",
        )
        .await
        .unwrap();
    let (fixture, connection) = admin.clone().dbname(&database).connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    fixture
        .batch_execute(
            "CREATE TABLE sales (region text NOT NULL, amount int NOT NULL);
             INSERT INTO sales VALUES ('EMEA', 10), ('EMEA', 5), ('APAC', 7);
             ALTER TABLE sales ENABLE ROW LEVEL SECURITY;
             CREATE POLICY by_region ON sales USING (region = current_setting('app.region', true));
             GRANT SELECT, INSERT ON sales TO kurobe_test_reader;",
        )
        .await
        .unwrap();
    let host = match &admin.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
        other => panic!("{other:?}"),
    };
    PostgresConnector::new(&PostgresConfig {
        host,
        port: admin.get_ports()[0],
        database,
        user: "kurobe_test_reader".into(),
        password: Some(password),
        pool_size: 2,
        connect_timeout: Duration::from_secs(5),
    })
    .unwrap()
}

fn with_region(region: &str) -> ExecRequest {
    ExecRequest { settings: vec![("app.region".into(), region.into())], ..ExecRequest::default() }
}

#[tokio::test]
async fn the_customers_row_level_security_sees_who_asks() {
    let connector = customer_database().await;
    let sql = "SELECT region, sum(amount) AS total FROM sales GROUP BY region";
    let emea = connector.execute(sql, &with_region("EMEA")).await.unwrap();
    assert_eq!(emea.rows, vec![vec![Value::Text("EMEA".into()), Value::Int(15)]]);
    let apac = connector.execute(sql, &with_region("APAC")).await.unwrap();
    assert_eq!(apac.rows, vec![vec![Value::Text("APAC".into()), Value::Int(7)]]);
    // Settings last for one transaction: the next query on the same pooled connection
    // carries no region, and sees nothing.
    let none = connector.execute(sql, &ExecRequest::default()).await.unwrap();
    assert!(none.rows.is_empty(), "{:?}", none.rows);
    // A value is bound, never spliced into SQL.
    let injected = connector.execute(sql, &with_region("x' OR '1'='1")).await.unwrap();
    assert!(injected.rows.is_empty());
}

#[tokio::test]
async fn only_custom_settings_can_be_set() {
    let connector = customer_database().await;
    for name in ["role", "session_authorization", "search_path", "statement_timeout", "default_transaction_read_only"] {
        let request = ExecRequest { settings: vec![(name.into(), "x".into())], ..ExecRequest::default() };
        let err = connector.execute("SELECT 1", &request).await.unwrap_err();
        assert!(matches!(err, ConnectorError::Config(_)), "{name}: {err:?}");
    }
}

#[tokio::test]
async fn writes_are_refused_by_the_database_itself() {
    let connector = customer_database().await;
    for sql in [
        "INSERT INTO sales VALUES ('EMEA', 1)",
        "WITH x AS (INSERT INTO sales VALUES ('EMEA', 1) RETURNING 1) SELECT * FROM x",
        "CREATE TABLE t (x int)",
    ] {
        match connector.execute(sql, &with_region("EMEA")).await.unwrap_err() {
            ConnectorError::Query(message) => assert!(message.contains("read-only"), "{sql}: {message}"),
            other => panic!("{sql}: {other:?}"),
        }
    }
    // The connection is still usable after the refusals.
    let rows = connector.execute("SELECT count(*) FROM sales", &with_region("EMEA")).await.unwrap().rows;
    assert_eq!(rows, vec![vec![Value::Int(2)]]);
}
