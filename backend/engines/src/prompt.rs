//! The prompt a model gets, and reading its answer back.

use std::fmt::Write as _;

use kurobe_connector::{Dialect, Table};

use crate::llm::{ChatRequest, Message, Role};

/// A question/SQL pair a person verified: shown to a model as an example, and answered
/// as it is by the offline engine when the same question comes again.
pub use kurobe_semantic::Example;

/// What the model is told besides the question.
#[derive(Debug, Clone)]
pub struct PromptContext<'a> {
    pub dialect: Dialect,
    /// Only the tables schema linking chose.
    pub tables: &'a [&'a Table],
    /// Semantic-layer definitions (metrics, synonyms), as text.
    pub semantic: Option<&'a str>,
    pub examples: &'a [Example],
    /// The data source's offline engine, built from its semantic model.
    pub rule_based: Option<&'a kurobe_semantic::RuleBased>,
    /// The day relative dates ("last month") count from.
    pub today: chrono::NaiveDate,
    /// The Langfuse trace of the question, when tracing is on.
    pub trace_id: Option<&'a str>,
}

fn dialect_name(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "PostgreSQL",
        Dialect::DuckDb => "DuckDB",
        Dialect::Trino => "Trino",
    }
}

/// One line per column: name, type, key, reference, known values and comment.
pub fn render_table(table: &Table) -> String {
    let mut out = format!("TABLE {}.{}", table.schema, table.name);
    if let Some(comment) = &table.comment {
        let _ = write!(out, " -- {comment}");
    }
    out.push('\n');
    for column in &table.columns {
        let _ = write!(out, "  {} {}", column.name, column.native_type);
        if table.primary_key.contains(&column.name) {
            out.push_str(" PRIMARY KEY");
        }
        for fk in table.foreign_keys.iter().filter(|fk| fk.columns.len() == 1 && fk.columns[0] == column.name) {
            let _ = write!(
                out,
                " REFERENCES {}.{}({})",
                fk.referenced_schema,
                fk.referenced_table,
                fk.referenced_columns.join(", ")
            );
        }
        if let Some(values) = &column.sample_values {
            let shown: Vec<&str> = values.iter().take(20).map(String::as_str).collect();
            let _ = write!(out, " VALUES [{}]", shown.join(", "));
        }
        if let Some(comment) = &column.comment {
            let _ = write!(out, " -- {comment}");
        }
        out.push('\n');
    }
    out
}

/// Builds the request: rules and schema in the system prompt, examples as earlier turns,
/// then the question, and — in a correction round — the failed SQL and its error.
pub fn build(question: &str, context: &PromptContext<'_>, correction: Option<(&str, &str)>) -> ChatRequest {
    let dialect = dialect_name(context.dialect);
    let mut system = format!(
        "You translate questions about data into one read-only {dialect} query.\n\
         Rules: write exactly one SELECT (WITH is allowed); never modify data; use only the tables and \
         columns below, qualified by schema; use the listed VALUES for filters; no comments in the SQL.\n\
         Answer with the SQL in a ```sql block, then one sentence explaining what it computes.\n\
         Today is {today}; relative dates such as \"last month\" count from it.\n\n\
         Schema:\n",
        today = context.today,
    );
    for table in context.tables {
        system.push_str(&render_table(table));
    }
    if let Some(semantic) = context.semantic {
        let _ = write!(system, "\nDefinitions:\n{semantic}\n");
    }
    let mut messages = Vec::new();
    for example in context.examples {
        messages.push(Message { role: Role::User, content: example.question.clone() });
        messages.push(Message { role: Role::Assistant, content: format!("```sql\n{}\n```", example.sql) });
    }
    messages.push(Message { role: Role::User, content: question.to_owned() });
    if let Some((sql, error)) = correction {
        messages.push(Message { role: Role::Assistant, content: format!("```sql\n{sql}\n```") });
        messages.push(Message {
            role: Role::User,
            content: format!("That query failed: {error}\nWrite a corrected query, following the same rules."),
        });
    }
    ChatRequest { system, messages, max_tokens: 1024, temperature: 0.0 }
}

/// SQL and explanation read from a model's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAnswer {
    pub sql: String,
    pub explanation: String,
}

/// Reads the SQL from a ```sql block, a `<sql>` tag, or a bare statement starting with
/// SELECT or WITH; the rest of the text is the explanation. `None` when there is no SQL.
pub fn parse_answer(text: &str) -> Option<ParsedAnswer> {
    let (sql, rest) = fenced(text).or_else(|| tagged(text)).or_else(|| bare(text))?;
    let sql = sql.trim().trim_end_matches(';').trim().to_owned();
    if sql.is_empty() {
        return None;
    }
    Some(ParsedAnswer { sql, explanation: rest.split_whitespace().collect::<Vec<_>>().join(" ") })
}

fn fenced(text: &str) -> Option<(String, String)> {
    let start = text.find("```")?;
    let after = &text[start + 3..];
    let body_start = after.find('\n').map_or(0, |i| i + 1);
    let language = after[..body_start].trim().to_lowercase();
    if !(language.is_empty() || language == "sql") {
        return None;
    }
    let body = &after[body_start..];
    let end = body.find("```")?;
    Some((body[..end].to_owned(), format!("{} {}", &text[..start], &body[end + 3..])))
}

fn tagged(text: &str) -> Option<(String, String)> {
    let start = text.find("<sql>")?;
    let end = text[start..].find("</sql>")? + start;
    Some((text[start + 5..end].to_owned(), format!("{} {}", &text[..start], &text[end + 6..])))
}

fn bare(text: &str) -> Option<(String, String)> {
    let upper = text.to_uppercase();
    let start = ["SELECT", "WITH"].iter().filter_map(|k| upper.find(k)).min()?;
    let end = text[start..].find(";").map_or(text.len(), |i| start + i);
    // A blank line after the statement starts the explanation.
    let end = text[start..end].find("\n\n").map_or(end, |i| start + i);
    Some((text[start..end].to_owned(), format!("{} {}", &text[..start], &text[end..].trim_start_matches(';'))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sql_in_every_shape_models_use() {
        let cases = [
            ("```sql\nSELECT 1;\n```\nReturns one.", "SELECT 1", "Returns one."),
            ("Here:\n```\nSELECT a FROM t\n```", "SELECT a FROM t", "Here:"),
            ("<sql>SELECT count(*) FROM t</sql>\nCounts rows.", "SELECT count(*) FROM t", "Counts rows."),
            ("SELECT x FROM t;\nThat is all.", "SELECT x FROM t", "That is all."),
            (
                "with a as (select 1) select * from a\n\nUses a CTE.",
                "with a as (select 1) select * from a",
                "Uses a CTE.",
            ),
        ];
        for (text, sql, explanation) in cases {
            let parsed = parse_answer(text).unwrap();
            assert_eq!((parsed.sql.as_str(), parsed.explanation.as_str()), (sql, explanation), "{text}");
        }
        assert_eq!(parse_answer("I cannot answer that."), None);
        assert_eq!(parse_answer("```python\nprint(1)\n```"), None);
    }
}
