//! Time per question of the rule-based engine on synthetic models of 10, 100 and 1,000
//! tables: `cargo run --release -p kurobe-semantic --example bench`.
//!
//! Each table has a label, two categorical columns with sampled values, a number, a date
//! and a foreign key to the table before it; the questions count, sum, group, filter by
//! values and dates, rank and join.

// A benchmark's output is its report.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use kurobe_connector::{ColumnInfo, DataType, Dialect, ForeignKey, Schema, Table, TableKind};
use kurobe_semantic::{RuleBased, SemanticModel};

const NOUNS: &[&str] = &[
    "invoice", "shipment", "vendor", "ticket", "account", "parcel", "booking", "contract", "device", "visit",
    "payment", "lesson", "route", "claim", "batch", "campaign",
];

fn column(name: &str, data_type: DataType, samples: Option<Vec<String>>) -> ColumnInfo {
    ColumnInfo {
        name: name.to_owned(),
        data_type,
        native_type: String::new(),
        nullable: false,
        comment: None,
        sample_values: samples,
    }
}

/// The table's name: a noun and a number, so names are words as in a real schema.
fn table_name(i: usize) -> String {
    format!("{}_{}", NOUNS[i % NOUNS.len()], i / NOUNS.len())
}

fn schema(tables: usize) -> Schema {
    let tables = (0..tables)
        .map(|i| {
            let name = table_name(i);
            let values = |kind: &str| Some((0..8).map(|v| format!("{kind}{i}x{v}")).collect());
            let mut columns = vec![
                column("id", DataType::Integer { bits: 32 }, None),
                column("name", DataType::Text, None),
                column("status", DataType::Text, values("state")),
                column("tier", DataType::Text, values("tier")),
                column("amount", DataType::Decimal { precision: Some(12), scale: Some(2) }, None),
                column("created_on", DataType::Date, None),
            ];
            let mut foreign_keys = Vec::new();
            if i > 0 {
                columns.push(column("parent_id", DataType::Integer { bits: 32 }, None));
                foreign_keys.push(ForeignKey {
                    columns: vec!["parent_id".to_owned()],
                    referenced_schema: "bench".to_owned(),
                    referenced_table: table_name(i - 1),
                    referenced_columns: vec!["id".to_owned()],
                });
            }
            Table {
                schema: "bench".to_owned(),
                name,
                kind: TableKind::Table,
                comment: None,
                row_estimate: None,
                columns,
                primary_key: vec!["id".to_owned()],
                foreign_keys,
            }
        })
        .collect();
    Schema { tables }
}

fn questions(tables: usize) -> Vec<String> {
    let mut questions = Vec::new();
    for i in (1..tables).step_by((tables / 10).max(1)) {
        let t = table_name(i).replace('_', " ");
        let parent = table_name(i - 1).replace('_', " ");
        questions.extend([
            format!("How many {t} are there?"),
            format!("Total amount of {t} by status in 2024"),
            format!("Top 5 {parent} by number of {t}"),
            format!("Which {parent} has the most {t}?"),
            format!("Average amount of {t} not state{i}x3 since March"),
            format!("Number of {t} by {parent} tier for tier{}x2 last month", i - 1),
            format!("List {t} with amount over 100 sorted by amount descending"),
            format!("Monthly amount of {t} in tier{i}x1 or tier{i}x4"),
            format!("What is the weather in {t}?"),
        ]);
    }
    questions
}

fn main() {
    let today = NaiveDate::from_ymd_opt(2025, 1, 15).unwrap_or_default();
    println!("| tables | questions | answered | build | median | worst |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    for tables in [10, 100, 1_000] {
        let model = SemanticModel::draft(&schema(tables));
        let started = Instant::now();
        let engine = RuleBased::new(&model);
        let build = started.elapsed();
        let questions = questions(tables);
        let mut times: Vec<Duration> = Vec::new();
        let mut answered = 0;
        // Three rounds: the first warms caches, all count.
        for _ in 0..3 {
            for question in &questions {
                let started = Instant::now();
                let result = engine.answer(question, &[], Dialect::Postgres, today);
                times.push(started.elapsed());
                answered += usize::from(result.is_ok());
            }
        }
        times.sort();
        let median = times[times.len() / 2];
        let worst = times[times.len() - 1];
        println!("| {tables} | {} | {} | {build:.2?} | {median:.2?} | {worst:.2?} |", questions.len(), answered / 3,);
    }
}
