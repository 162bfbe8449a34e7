//! The offline rule-based text-to-SQL engine: English questions to semantic queries,
//! driven only by the model's words (names split into words, singular and plural,
//! synonyms, known values) and a fixed vocabulary of English. Deterministic, and honest:
//! a word it cannot place lowers its confidence, and below [`RuleBased::THRESHOLD`] it
//! refuses with questions it can answer instead of guessing.

mod build;
mod dates;
mod lexicon;
mod read;
mod tokens;

use chrono::NaiveDate;
use kurobe_connector::Dialect;
use serde::{Deserialize, Serialize};

use crate::{
    SemanticModel, SemanticQuery, compile,
    model::{Dimension, DimensionKind},
    words,
};
use lexicon::Lexicon;
use read::{Reader, tag};

/// A question with verified SQL (from feedback); a matching question gets this SQL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    pub question: String,
    pub sql: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// The semantic query; `None` when the SQL is a verified example's.
    pub query: Option<SemanticQuery>,
    pub sql: String,
    /// How the question was understood, e.g. "counting orders, grouped by region name".
    pub interpretation: String,
    /// From 0 to 1; answers below [`RuleBased::THRESHOLD`] are refused instead.
    pub confidence: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{reason}")]
pub struct Refusal {
    pub reason: String,
    /// Questions close to this one that the engine can answer.
    pub suggestions: Vec<String>,
}

/// The engine for one model; build once per model version, answer many questions.
#[derive(Debug)]
pub struct RuleBased {
    model: SemanticModel,
    lexicon: Lexicon,
}

impl RuleBased {
    /// Answers below this confidence are refused.
    pub const THRESHOLD: f64 = 0.6;

    pub fn new(model: &SemanticModel) -> RuleBased {
        // The lexicon is the model's words; keys added after it are for showing rows only.
        let lexicon = Lexicon::build(model);
        RuleBased { lexicon, model: with_keys(model) }
    }

    /// Answers `question` with SQL for `dialect`; relative dates ("last month") count
    /// from `today`.
    pub fn answer(
        &self,
        question: &str,
        examples: &[Example],
        dialect: Dialect,
        today: NaiveDate,
    ) -> Result<Answer, Refusal> {
        let normalized = normalize(question);
        if let Some(example) = examples.iter().find(|e| normalize(&e.question) == normalized) {
            return Ok(Answer {
                query: None,
                sql: example.sql.clone(),
                interpretation: format!("the verified answer to \"{}\"", example.question),
                confidence: 1.0,
            });
        }
        let tokens = tokens::tokenize(question);
        let tagged = tag(&tokens, &self.lexicon);
        let reader = Reader { model: &self.model, tokens: &tokens, tagged: &tagged, today };
        let reading = reader.read();
        let refuse = |reason: String| Refusal { reason, suggestions: self.suggestions(&reading.entities) };
        let doubt: f64 = reading.doubts.iter().map(|(cost, _)| cost).sum();
        let reasons: Vec<&str> = reading.doubts.iter().map(|(_, why)| why.as_str()).collect();
        if 1.0 - doubt < Self::THRESHOLD {
            return Err(refuse(format!("cannot answer confidently: {}", reasons.join("; "))));
        }
        let built = build::build(&self.model, &reading).map_err(refuse)?;
        let confidence = (1.0 - doubt - built.doubt).clamp(0.0, 1.0);
        if confidence < Self::THRESHOLD {
            let reason = if reasons.is_empty() { "the question is ambiguous".to_owned() } else { reasons.join("; ") };
            return Err(refuse(format!("cannot answer confidently: {reason} (understood: {})", built.interpretation)));
        }
        let compiled = compile(&self.model, &built.query, dialect).map_err(|e| refuse(e.to_string()))?;
        Ok(Answer { query: Some(built.query), sql: compiled.sql, interpretation: built.interpretation, confidence })
    }

    /// Questions the engine answers about the entities the question named, or about the
    /// model's first entities when it named none.
    fn suggestions(&self, named: &[usize]) -> Vec<String> {
        let entities: Vec<usize> =
            if named.is_empty() { (0..self.model.entities.len().min(2)).collect() } else { named.to_vec() };
        let mut suggestions = Vec::new();
        for e in entities.into_iter().take(2) {
            let entity = &self.model.entities[e];
            let plural = words::phrase(&entity.name);
            suggestions.push(format!("How many {plural} are there?"));
            if let Some(d) =
                entity.dimensions.iter().find(|d| d.kind == DimensionKind::Categorical && !d.values.is_empty())
            {
                suggestions.push(format!("How many {plural} are there by {}?", words::phrase(&d.name)));
            }
            if let Some(d) = entity.dimensions.iter().find(|d| d.kind == DimensionKind::Number) {
                suggestions.push(format!("What is the average {} of {plural}?", words::phrase(&d.name)));
            }
        }
        suggestions.truncate(4);
        suggestions
    }
}

/// The model with each unlabelled entity's key as a dimension (unless one already reads
/// it), so that its rows can be listed and grouped by what identifies them ("top 5
/// admissions by charge" shows admission ids). Questions cannot name these dimensions.
fn with_keys(model: &SemanticModel) -> SemanticModel {
    let mut model = model.clone();
    for entity in &mut model.entities {
        let Some(key) = entity.primary_key.clone() else { continue };
        let taken = entity.dimensions.iter().any(|d| d.column == key || d.name == key)
            || entity.measures.iter().any(|m| m.name == key);
        if entity.label.is_none() && !taken {
            entity.dimensions.push(Dimension {
                name: key.clone(),
                column: key,
                kind: DimensionKind::Number,
                description: None,
                synonyms: Vec::new(),
                values: Vec::new(),
            });
        }
    }
    model
}

/// Lower case, single spaces, no surrounding punctuation: how questions are compared.
fn normalize(question: &str) -> String {
    question
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}
