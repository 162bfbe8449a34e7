//! Answers questions from stdin, one a line, with the rule-based engine over a model and a
//! DuckDB file, and runs each answer: for looking at what the engine makes of wordings.
//! `cargo run -p kurobe-semantic --example ask -- config/semantic/retail-demo-duckdb.yaml demo.duckdb`
//! (with `-` for the model, the model is drafted from the database).

// The example's output is its report.
#![allow(clippy::print_stdout)]

use std::io::BufRead;

use chrono::NaiveDate;
use kurobe_connector::{Connector, Dialect, ExecRequest, IntrospectOptions};
use kurobe_duckdb::{DuckDbConnector, DuckDbSource};
use kurobe_semantic::{RuleBased, SemanticModel};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model_path, database] = args.as_slice() else {
        eprintln!("usage: ask MODEL.yaml|- DATABASE.duckdb < questions");
        std::process::exit(2);
    };
    let connector = DuckDbConnector::open(DuckDbSource::File(database.into())).expect("open the database");
    let schema = connector.introspect(&IntrospectOptions::default()).await.expect("introspect");
    let model = if model_path == "-" {
        SemanticModel::draft(&schema)
    } else {
        let mut model = SemanticModel::load(model_path.as_ref()).expect("read the model");
        model.validate(&schema).expect("a valid model");
        model.merge_samples(&schema);
        model
    };
    let engine = RuleBased::new(&model);
    let today = NaiveDate::from_ymd_opt(2025, 1, 15).expect("a date");
    for question in std::io::stdin().lock().lines().map_while(Result::ok).filter(|l| !l.trim().is_empty()) {
        println!("? {question}");
        match engine.answer(&question, &[], Dialect::DuckDb, today) {
            Ok(answer) => {
                println!("  {} ({:.2})\n  {}", answer.interpretation, answer.confidence, answer.sql);
                match connector.execute(&answer.sql, &ExecRequest::default()).await {
                    Ok(result) => {
                        for row in result.rows.iter().take(3) {
                            println!("  | {}", row.iter().map(|v| v.to_text()).collect::<Vec<_>>().join(" | "));
                        }
                        println!("  ({} rows)", result.rows.len());
                    }
                    Err(e) => println!("  ! {e}"),
                }
            }
            Err(refusal) => println!("  refused: {}", refusal.reason),
        }
    }
}
