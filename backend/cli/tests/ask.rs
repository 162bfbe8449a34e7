//! `kurobe ask` embedded, as a script runs it: a DuckDB file, no server, no services.

#![allow(clippy::unwrap_used)]

use std::process::Command;

/// Where `kurobe` runs, as an operator would: `config/` is there.
const REPOSITORY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn kurobe(args: &[&str]) -> (i32, serde_json::Value, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_kurobe"))
        .current_dir(REPOSITORY)
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

    // A drafted semantic model of the same file, for a person to refine.
    let (code, _, yaml) = kurobe(&["semantic", "init", "--duckdb", file]);
    assert_eq!(code, 0, "{yaml}");
    assert!(yaml.contains("entities:") && yaml.contains("table: retail.orders"), "{yaml}");

    // A file that is not there is a clear failure.
    let (code, error, _) = kurobe(&["ask", "--duckdb", "/nonexistent.duckdb", "--json", "How many orders?"]);
    assert_eq!((code, error["error"]["code"].as_str()), (1, Some("datasource_unavailable")), "{error}");
}

#[test]
fn eval_scores_an_engine_by_execution() {
    let dir = tempfile::tempdir().unwrap();
    let semantic = concat!(env!("CARGO_MANIFEST_DIR"), "/../semantic/eval");
    std::fs::copy(format!("{semantic}/clinic.sql"), dir.path().join("clinic.sql")).unwrap();
    let report_file = dir.path().join("report.json");
    let output = Command::new(env!("CARGO_BIN_EXE_kurobe"))
        .current_dir(REPOSITORY)
        .args(["eval", &format!("{semantic}/clinic.jsonl"), "--db-dir", dir.path().to_str().unwrap()])
        .args(["--today", "2025-01-15", "--json", report_file.to_str().unwrap()])
        .output()
        .unwrap();
    let report = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{report}");
    assert!(report.contains("| **all** |") && report.contains("% of answers correct"), "{report}");
    let results: Vec<serde_json::Value> = serde_json::from_slice(&std::fs::read(&report_file).unwrap()).unwrap();
    assert_eq!(
        results.len(),
        include_str!("../../semantic/eval/clinic.jsonl").lines().filter(|l| !l.trim().is_empty()).count()
    );
}
