//! Any text as a question to the offline engine (`RuleBased`) over the demo's semantic
//! model, in each dialect. Nothing may panic; an answer must be as confident as the engine
//! claims to require, and its SQL must pass the guard, as every answer must before it runs.

#![no_main]

use std::sync::LazyLock;

use chrono::NaiveDate;
use kurobe_connector::Schema;
use kurobe_semantic::{RuleBased, SemanticModel};
use libfuzzer_sys::fuzz_target;

/// Built once: the model of `config/` checked against the demo schema, with its values.
static ENGINE: LazyLock<(RuleBased, Schema)> = LazyLock::new(|| {
    let schema = kurobe_fuzz::demo_schema();
    let mut model = SemanticModel::from_yaml_str(
        include_str!("../../config/semantic/retail-demo-duckdb.yaml"),
        "config/semantic/retail-demo-duckdb.yaml",
    )
    .expect("the demo model parses");
    model.validate(&schema).expect("the demo model fits the demo schema");
    model.merge_samples(&schema);
    (RuleBased::new(&model), schema)
});

fuzz_target!(|question: &str| {
    let (engine, schema) = &*ENGINE;
    // The day the evaluation's relative dates count from.
    let today = NaiveDate::from_ymd_opt(2025, 1, 15).expect("a date");
    for dialect in kurobe_fuzz::DIALECTS {
        let Ok(answer) = engine.answer(question, &[], dialect, today) else { continue };
        assert!(
            (RuleBased::THRESHOLD..=1.0).contains(&answer.confidence),
            "{dialect}: answered with confidence {}\n{question:?}",
            answer.confidence
        );
        if let Err(refusal) = kurobe_guard::check(&answer.sql, dialect, schema, 1000) {
            panic!("{dialect}: the guard refused the engine's answer ({refusal})\n{question:?}\n=> {}", answer.sql);
        }
    }
});
