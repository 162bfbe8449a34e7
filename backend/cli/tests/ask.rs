//! `kurobe ask` embedded, as a script runs it: a DuckDB file, no server, no services.

#![allow(clippy::unwrap_used)]

use std::process::Command;

fn kurobe(args: &[&str]) -> (i32, serde_json::Value, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_kurobe"))
        .args(args)
        .env_remove("KUROBE_BASE_URL")
        .env_remove("KUROBE_API_KEY")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (output.status.code().unwrap(), json, stdout)
}

#[tokio::test]
async fn a_duckdb_file_is_asked_with_no_services() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.duckdb");
    kurobe_server::demo::load_duckdb(&path, kurobe_demo::ScaleFactor::new(0.001).unwrap()).await.unwrap();
    let file = path.to_str().unwrap();

    let (code, answer, _) = kurobe(&["ask", "--duckdb", file, "--json", "How many orders are there?"]);
    assert_eq!(code, 0, "{answer}");
    assert_eq!(answer["generation"]["engine"], "offline");
    assert!(answer["generation"]["interpretation"].as_str().unwrap().contains("order"));
    assert!(answer["sql"].as_str().unwrap().starts_with("SELECT count(*)"), "{answer}");
    assert!(answer["rows"][0][0].as_i64().unwrap() > 0);

    // A question it cannot answer: exit code 2, the API's error body with suggestions.
    let (code, error, _) = kurobe(&["ask", "--duckdb", file, "--json", "What is the meaning of life?"]);
    assert_eq!((code, error["error"]["code"].as_str()), (2, Some("cannot_answer")), "{error}");
    assert!(!error["error"]["suggestions"].as_array().unwrap().is_empty());

    // Without --json: the interpretation, the SQL and a table.
    let (code, _, text) = kurobe(&["ask", "--duckdb", file, "How many orders are there by status?"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("SELECT") && text.contains("status") && text.contains("row(s)"), "{text}");

    // A file that is not there is a clear failure.
    let (code, error, _) = kurobe(&["ask", "--duckdb", "/nonexistent.duckdb", "--json", "How many orders?"]);
    assert_eq!((code, error["error"]["code"].as_str()), (1, Some("datasource_unavailable")), "{error}");
}
