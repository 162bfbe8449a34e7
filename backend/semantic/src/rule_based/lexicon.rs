//! The words of a model: every phrase a question may use for an entity, a dimension, a
//! measure, a metric or a known value, keyed by its singular lower-case words.

use std::collections::HashMap;

use crate::{
    model::{DimensionKind, SemanticModel},
    words,
};

/// What a phrase may refer to; indices into the model's entities and their members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Sense {
    Entity(usize),
    Dimension(usize, usize),
    Measure(usize, usize),
    Metric(usize),
    /// A value of a dimension: a sampled category, or `true` for a boolean's name.
    Value(usize, usize, String),
}

impl Sense {
    /// The entity the sense belongs to (metrics belong to none).
    pub fn entity(&self) -> Option<usize> {
        match self {
            Sense::Entity(e) | Sense::Dimension(e, _) | Sense::Measure(e, _) | Sense::Value(e, _, _) => Some(*e),
            Sense::Metric(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub sense: Sense,
    /// Matched through part of a name only ("price" for `list_price`).
    pub weak: bool,
}

#[derive(Debug, Default)]
pub(super) struct Lexicon {
    phrases: HashMap<String, Vec<Entry>>,
    /// The most words any phrase has, bounding the search at each position.
    longest: usize,
    /// Stems of the words of number and date dimensions, for verbs a question uses where
    /// the name has a noun ("hired" for `HireDate`); always weak.
    stems: HashMap<String, Vec<Entry>>,
}

/// Words of names that say what kind of value a column holds, not what happened.
const GENERIC: &[&str] =
    &["date", "time", "timestamp", "day", "on", "at", "of", "id", "number", "no", "count", "total", "amount", "value"];

/// The lexicon key of a phrase: its words, singular, space-separated.
pub(super) fn key(phrase: &str) -> String {
    words::split(phrase).iter().map(|w| words::singular(w)).collect::<Vec<_>>().join(" ")
}

impl Lexicon {
    pub fn build(model: &SemanticModel) -> Lexicon {
        let mut lexicon = Lexicon::default();
        for (ei, entity) in model.entities.iter().enumerate() {
            let (_, table) = entity.table_parts();
            for phrase in [entity.name.as_str(), table].into_iter().chain(entity.synonyms.iter().map(String::as_str)) {
                lexicon.add(phrase, Sense::Entity(ei), false);
            }
            let entity_words = key(&entity.name);
            for (di, d) in entity.dimensions.iter().enumerate() {
                let sense = || Sense::Dimension(ei, di);
                for phrase in std::iter::once(&d.name).chain(&d.synonyms) {
                    lexicon.add(phrase, sense(), false);
                }
                let dimension_words = key(&d.name);
                if !dimension_words.starts_with(&entity_words) {
                    lexicon.add(&format!("{entity_words} {dimension_words}"), sense(), false);
                }
                let split = words::split(&d.name);
                if split.len() > 1
                    && let Some(head) = split.last()
                {
                    lexicon.add(head, sense(), true);
                }
                if matches!(d.kind, DimensionKind::Time | DimensionKind::Number) {
                    for word in std::iter::once(&d.name).chain(&d.synonyms).flat_map(|p| words::split(p)) {
                        if word.len() > 2 && !GENERIC.contains(&word.as_str()) {
                            lexicon.add_stem(&word, sense());
                        }
                    }
                }
                match d.kind {
                    DimensionKind::Categorical => {
                        for value in &d.values {
                            lexicon.add(value, Sense::Value(ei, di, value.clone()), false);
                        }
                    }
                    // "emergency admissions" for `IsEmergency`.
                    DimensionKind::Boolean => {
                        let name: Vec<&String> = split.iter().filter(|w| !matches!(w.as_str(), "is" | "has")).collect();
                        let phrase = name.iter().map(|w| w.as_str()).collect::<Vec<_>>().join(" ");
                        lexicon.add(&phrase, Sense::Value(ei, di, "true".to_owned()), true);
                    }
                    DimensionKind::Time | DimensionKind::Number => {}
                }
            }
            for (mi, m) in entity.measures.iter().enumerate() {
                // Every entity has a `count`; "count" is a keyword, the entity names it.
                if m.name != "count" {
                    lexicon.add(&m.name, Sense::Measure(ei, mi), false);
                }
                for synonym in &m.synonyms {
                    lexicon.add(synonym, Sense::Measure(ei, mi), false);
                }
            }
        }
        for (mi, metric) in model.metrics.iter().enumerate() {
            for phrase in std::iter::once(&metric.name).chain(&metric.synonyms) {
                lexicon.add(phrase, Sense::Metric(mi), false);
            }
        }
        lexicon
    }

    fn add(&mut self, phrase: &str, sense: Sense, weak: bool) {
        let key = key(phrase);
        if key.is_empty() {
            return;
        }
        self.longest = self.longest.max(key.split(' ').count());
        let entries = self.phrases.entry(key).or_default();
        if let Some(existing) = entries.iter_mut().find(|e| e.sense == sense) {
            existing.weak &= weak;
        } else {
            entries.push(Entry { sense, weak });
        }
    }

    fn add_stem(&mut self, word: &str, sense: Sense) {
        let entries = self.stems.entry(words::stem(word)).or_default();
        if !entries.iter().any(|e| e.sense == sense) {
            entries.push(Entry { sense, weak: true });
        }
    }

    /// The dimensions a word no phrase matches may name by its stem ("hired").
    pub fn by_stem(&self, word: &str) -> Option<&[Entry]> {
        self.stems.get(&words::stem(word)).map(Vec::as_slice)
    }

    /// The longest phrase starting at `start` of the singular words `keys`: its entries
    /// and its length in words.
    pub fn longest_at(&self, keys: &[&str], start: usize) -> Option<(&[Entry], usize)> {
        let most = self.longest.min(keys.len().saturating_sub(start));
        (1..=most).rev().find_map(|len| {
            let phrase = keys[start..start + len].join(" ");
            self.phrases.get(&phrase).map(|entries| (entries.as_slice(), len))
        })
    }
}
