//! The sandbox and the interruption of DuckDB queries, against a real DuckDB.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use kurobe_connector::{Connector, ConnectorError, ExecRequest, Limits};
use kurobe_duckdb::{DuckDbConnector, DuckDbSource, duckdb};

fn request(timeout: Duration) -> ExecRequest {
    ExecRequest { limits: Limits::with_timeout(timeout).unwrap(), ..ExecRequest::default() }
}

async fn refused(connector: &DuckDbConnector, sql: &str) -> String {
    match connector.execute(sql, &ExecRequest::default()).await {
        Err(ConnectorError::Query(message)) => message,
        other => panic!("`{sql}` was not refused: {other:?}"),
    }
}

#[tokio::test]
async fn untrusted_sql_cannot_reach_files_extensions_or_settings() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.csv");
    std::fs::write(&secret, "password\nhunter2\n").unwrap();
    let connector = DuckDbConnector::open(DuckDbSource::Memory).unwrap();
    let secret = secret.display();
    let out = dir.path().join("out.csv");
    let out = out.display();
    let attached = dir.path().join("other.duckdb");
    let attached = attached.display();

    for sql in [
        format!("SELECT * FROM read_csv('{secret}')"),
        format!("SELECT * FROM '{secret}'"),
        format!("SELECT * FROM read_text('{secret}')"),
        format!("COPY (SELECT 42) TO '{out}'"),
        format!("ATTACH '{attached}' AS other"),
        "INSTALL httpfs".to_owned(),
        "LOAD httpfs".to_owned(),
        "SET threads = 1".to_owned(),
        "SET enable_external_access = true".to_owned(),
        "SELECT * FROM read_csv('https://example.com/x.csv')".to_owned(),
    ] {
        let message = refused(&connector, &sql).await;
        assert!(!message.contains("hunter2"), "{sql}: {message}");
    }
    assert!(!std::path::Path::new(&out.to_string()).exists());
    assert!(!std::path::Path::new(&attached.to_string()).exists());
}

#[tokio::test]
async fn a_file_database_is_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.duckdb");
    {
        let writer = duckdb::Connection::open(&path).unwrap();
        writer.execute_batch("CREATE TABLE t AS SELECT 1 AS x").unwrap();
    }
    let connector = DuckDbConnector::open(DuckDbSource::File(path)).unwrap();
    let result = connector.execute("SELECT x FROM t", &ExecRequest::default()).await.unwrap();
    assert_eq!(result.rows.len(), 1);
    let message = refused(&connector, "INSERT INTO t VALUES (2)").await;
    assert!(message.to_lowercase().contains("read-only") || message.to_lowercase().contains("read only"), "{message}");
    let missing = DuckDbConnector::open(DuckDbSource::File(dir.path().join("nope.duckdb"))).unwrap_err();
    assert!(matches!(missing, ConnectorError::Config(_)), "{missing:?}");
}

const ENDLESS: &str = "SELECT count(*) FROM range(100000000000) a, range(1000) b WHERE a.range + b.range = -1";

#[tokio::test]
async fn a_timeout_interrupts_the_query_and_frees_the_thread() {
    let connector = DuckDbConnector::open(DuckDbSource::Memory).unwrap();
    let started = Instant::now();
    let err = connector.execute(ENDLESS, &request(Duration::from_millis(300))).await.unwrap_err();
    assert_eq!(err, ConnectorError::Timeout(Duration::from_millis(300)));
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());

    // The interrupted query's thread is free, and queries run again.
    assert_eq!(connector.queries_running(), 0);
    for _ in 0..8 {
        let result = connector.execute("SELECT 1", &request(Duration::from_secs(2))).await.unwrap();
        assert_eq!(result.rows.len(), 1);
    }
}

#[tokio::test]
async fn dropping_the_future_interrupts_the_query() {
    let connector = DuckDbConnector::open(DuckDbSource::Memory).unwrap();
    let running = connector.clone();
    let task = tokio::spawn(async move { running.execute(ENDLESS, &request(Duration::from_secs(60))).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    // A slot is released only when DuckDB's thread is done with the query.
    let started = Instant::now();
    while connector.queries_running() > 0 {
        assert!(started.elapsed() < Duration::from_secs(2), "the aborted query kept running");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
