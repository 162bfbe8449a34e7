//! Schema linking: the part of a warehouse a question is about. A model is only ever shown
//! these tables, so a warehouse of thousands of tables never goes into a prompt whole.

use std::collections::{BTreeMap, BTreeSet};

use kurobe_connector::{Schema, Table};

/// Lower-cased words of a name or a sentence: `order_items` and `OrderItems` both give
/// `order`, `items`.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && previous_lower && !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            previous_lower = c.is_lowercase() || c.is_ascii_digit();
            current.extend(c.to_lowercase());
        } else {
            previous_lower = false;
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A crude English singular, enough to match `orders` with `order` and `categories` with
/// `category`.
pub fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies").filter(|s| s.len() > 1) {
        format!("{stem}y")
    } else if let Some(stem) = word.strip_suffix("ses").filter(|s| s.len() > 2) {
        format!("{stem}s")
    } else if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") && !word.ends_with("us") {
        word[..word.len() - 1].to_owned()
    } else {
        word.to_owned()
    }
}

const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "of", "in", "on", "by", "for", "per", "to", "and", "or", "is", "are", "was", "were", "what",
    "which", "who", "how", "many", "much", "show", "me", "list", "give", "each", "all", "with", "from", "top", "most",
    "least", "than", "more", "less", "do", "does", "did", "have", "has", "there", "that", "this", "it", "as", "at",
];

fn terms(text: &str) -> BTreeSet<String> {
    words(text).iter().filter(|w| !STOP_WORDS.contains(&w.as_str())).map(|w| singular(w)).collect()
}

/// How well a table matches the question: its own name counts most, then its columns,
/// then sampled values and comments.
fn score(table: &Table, question: &BTreeSet<String>, raw_question: &str) -> u32 {
    let hits = |text: &str| terms(text).intersection(question).count() as u32;
    let mut score = 4 * hits(&table.name);
    for column in &table.columns {
        score += 2 * hits(&column.name);
        score += column.comment.as_deref().map_or(0, hits);
        if let Some(values) = &column.sample_values {
            let lowered = raw_question.to_lowercase();
            score += 3 * values.iter().filter(|v| v.len() > 1 && lowered.contains(&v.to_lowercase())).count() as u32;
        }
    }
    score + table.comment.as_deref().map_or(0, hits)
}

/// The tables a question needs: the best matches (at most `max_tables`), plus the tables on
/// their foreign-key paths so that joins between them can be written.
pub fn relevant_tables<'a>(schema: &'a Schema, question: &str, max_tables: usize) -> Vec<&'a Table> {
    let question_terms = terms(question);
    let mut ranked: Vec<(u32, &Table)> =
        schema.tables.iter().map(|t| (score(t, &question_terms, question), t)).filter(|(s, _)| *s > 0).collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
    let best: Vec<&Table> = ranked.iter().take(max_tables).map(|(_, t)| *t).collect();
    with_join_paths(schema, best, max_tables)
}

/// The chosen tables plus the ones on their foreign-key paths: anything a chosen table
/// references, or that references two chosen tables, so joins between them can be written.
fn with_join_paths<'a>(schema: &'a Schema, chosen: Vec<&'a Table>, max_tables: usize) -> Vec<&'a Table> {
    let mut chosen: BTreeMap<(String, String), &Table> =
        chosen.into_iter().map(|t| ((t.schema.clone(), t.name.clone()), t)).collect();
    let keys: Vec<(String, String)> = chosen.keys().cloned().collect();
    for table in &schema.tables {
        let key = (table.schema.clone(), table.name.clone());
        if chosen.contains_key(&key) {
            continue;
        }
        let referenced_by_chosen = keys.iter().any(|k| {
            chosen[k]
                .foreign_keys
                .iter()
                .any(|fk| fk.referenced_schema == table.schema && fk.referenced_table == table.name)
        });
        let links = table
            .foreign_keys
            .iter()
            .filter(|fk| keys.iter().any(|(s, n)| *s == fk.referenced_schema && *n == fk.referenced_table))
            .count();
        if (referenced_by_chosen || links >= 2) && chosen.len() < max_tables * 2 {
            chosen.insert(key, table);
        }
    }
    chosen.into_values().collect()
}

/// How many tables rule-based linking hands a model to choose from.
const CANDIDATES: usize = 60;

/// One line per table: its name and columns, for a model to choose from.
fn catalog_line(table: &Table) -> String {
    let columns: Vec<&str> = table.columns.iter().take(30).map(|c| c.name.as_str()).collect();
    format!("{}.{}: {}", table.schema, table.name, columns.join(", "))
}

/// Lets a model pick the tables a question needs from a compact catalog (names and
/// columns only) of the best rule-based candidates, then adds the join paths. Names the
/// model invents are ignored; a model failure falls back to the rule-based choice.
pub async fn relevant_tables_with_model<'a>(
    model: &dyn crate::llm::ChatModel,
    schema: &'a Schema,
    question: &str,
    max_tables: usize,
) -> Vec<&'a Table> {
    let candidates = relevant_tables(schema, question, CANDIDATES);
    let catalog: Vec<String> = candidates.iter().map(|t| catalog_line(t)).collect();
    let request = crate::llm::ChatRequest {
        system: "You pick the tables needed to answer a question. Answer with a JSON array of \
                 schema.table names from the catalog, and nothing else."
            .into(),
        messages: vec![crate::llm::Message {
            role: crate::llm::Role::User,
            content: format!("Catalog:\n{}\n\nQuestion: {question}", catalog.join("\n")),
        }],
        max_tokens: 300,
        temperature: 0.0,
    };
    let fallback = || relevant_tables(schema, question, max_tables);
    let Ok(answer) = model.complete(&request).await else { return fallback() };
    let text = answer.text.as_str();
    let picked: Vec<String> = match (text.find('['), text.rfind(']')) {
        (Some(start), Some(end)) if start < end => serde_json::from_str(&text[start..=end]).unwrap_or_default(),
        _ => Vec::new(),
    };
    let chosen: Vec<&Table> = candidates
        .iter()
        .copied()
        .filter(|t| picked.iter().any(|p| p.eq_ignore_ascii_case(&format!("{}.{}", t.schema, t.name))))
        .take(max_tables)
        .collect();
    if chosen.is_empty() {
        return fallback();
    }
    with_join_paths(schema, chosen, max_tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_words() {
        assert_eq!(words("order_items"), ["order", "items"]);
        assert_eq!(words("OrderItems"), ["order", "items"]);
        assert_eq!(words("Revenue by month in 2024?"), ["revenue", "by", "month", "in", "2024"]);
        assert_eq!(singular("categories"), "category");
        assert_eq!(singular("orders"), "order");
        assert_eq!(singular("status"), "status");
        assert_eq!(singular("address"), "address");
    }
}
