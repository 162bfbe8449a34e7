//! Growth of the offline engine and of the prompt builder with the schema: the synthetic
//! schemas and questions of `kurobe-semantic`'s `bench` example, at 10 to 10,000 tables.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use kurobe_connector::Dialect;
use kurobe_engines::{linking, prompt};
use kurobe_semantic::{RuleBased, SemanticModel};
use serde::Serialize;

#[allow(dead_code, unused_imports, clippy::print_stdout, clippy::unwrap_used)]
mod synthetic {
    include!(concat!(env!("OUT_DIR"), "/synthetic.rs"));

    pub fn schema_of(tables: usize) -> Schema {
        schema(tables)
    }

    pub fn questions_of(tables: usize) -> Vec<String> {
        questions(tables)
    }
}

#[derive(Debug, Serialize)]
pub struct Growth {
    pub tables: usize,
    pub questions: usize,
    pub answered: usize,
    pub draft_ms: f64,
    pub build_ms: f64,
    pub answer_p50_ms: f64,
    pub answer_max_ms: f64,
    /// Schema linking plus the prompt of a model engine (up to 20 linked tables).
    pub prompt_p50_ms: f64,
    pub prompt_max_ms: f64,
    pub prompt_p50_chars: usize,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median_max(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    (ms(times[times.len() / 2]), ms(times[times.len() - 1]))
}

pub fn growth(sizes: &[usize]) -> Vec<Growth> {
    let today = NaiveDate::from_ymd_opt(2025, 1, 15).unwrap_or_default();
    sizes
        .iter()
        .map(|&tables| {
            let schema = synthetic::schema_of(tables);
            let started = Instant::now();
            let model = SemanticModel::draft(&schema);
            let draft = started.elapsed();
            let started = Instant::now();
            let engine = RuleBased::new(&model);
            let build = started.elapsed();
            let questions = synthetic::questions_of(tables);
            let mut answers = Vec::new();
            let mut prompts = Vec::new();
            let mut chars = Vec::new();
            let mut answered = 0;
            // Three rounds, the first warming caches; all count, as in the example.
            for round in 0..3 {
                for question in &questions {
                    let started = Instant::now();
                    let result = engine.answer(question, &[], Dialect::Postgres, today);
                    answers.push(started.elapsed());
                    if round == 0 {
                        answered += usize::from(result.is_ok());
                    }
                    let started = Instant::now();
                    let linked = linking::relevant_tables(&schema, question, 20);
                    let context = prompt::PromptContext {
                        dialect: Dialect::Postgres,
                        tables: &linked,
                        semantic: None,
                        examples: &[],
                        rule_based: Some(&engine),
                        today,
                        trace_id: None,
                    };
                    let request = prompt::build(question, &context, None);
                    prompts.push(started.elapsed());
                    chars.push(request.system.len());
                }
            }
            let (answer_p50_ms, answer_max_ms) = median_max(answers);
            let (prompt_p50_ms, prompt_max_ms) = median_max(prompts);
            chars.sort_unstable();
            Growth {
                tables,
                questions: questions.len(),
                answered,
                draft_ms: ms(draft),
                build_ms: ms(build),
                answer_p50_ms,
                answer_max_ms,
                prompt_p50_ms,
                prompt_max_ms,
                prompt_p50_chars: chars[chars.len() / 2],
            }
        })
        .collect()
}
