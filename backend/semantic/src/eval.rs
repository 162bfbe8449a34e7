//! Execution accuracy for any engine: run its SQL and the gold SQL, compare the results as
//! multisets of rows (in order only where the gold query orders), and report by category.
//!
//! A case is a JSON line `{"question", "gold_sql", "db", "category"}`. A `null` gold marks
//! a question no SQL over the data answers; refusing it is right and answering it wrong.
//! A prediction may show columns the gold does not (a count beside the name it ranks);
//! every gold column must be among them.

use std::{collections::BTreeMap, fmt, ops::ControlFlow};

use kurobe_connector::Value;
use serde::{Deserialize, Serialize};
use sqlparser::{
    ast::{Statement, visit_relations},
    dialect::GenericDialect,
    parser::Parser,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalCase {
    pub question: String,
    pub gold_sql: Option<String>,
    pub db: String,
    #[serde(default)]
    pub category: String,
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("line {line}: {message}")]
    Case { line: usize, message: String },
}

/// Reads JSON lines, skipping blank ones.
pub fn read_cases(text: &str) -> Result<Vec<EvalCase>, EvalError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| EvalError::Case { line: i + 1, message: e.to_string() }))
        .collect()
}

/// What an engine made of a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prediction {
    Sql(String),
    Refused(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Correct,
    Wrong,
    /// Refused a question the gold answers.
    MissedRefusal,
    /// Refused a question nothing answers.
    RightRefusal,
}

/// One question's result, for the per-question JSON report.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub question: String,
    pub category: String,
    pub db: String,
    pub outcome: Outcome,
    /// The gold has SQL: refusing is a miss, not a success.
    pub answerable: bool,
    /// Only one table is read by the gold query.
    pub single_table: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted_sql: Option<String>,
    /// Why it was wrong or refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Runs every case: `answer` asks the engine, `execute` runs SQL on the case's database
/// and returns its rows (an error or a timeout counts as a wrong answer).
pub async fn evaluate(
    cases: &[EvalCase],
    answer: impl AsyncFn(&EvalCase) -> Prediction,
    execute: impl AsyncFn(&str, &str) -> Result<Vec<Vec<Value>>, String>,
) -> Report {
    let mut results = Vec::with_capacity(cases.len());
    for case in cases {
        let prediction = answer(case).await;
        let single_table = case.gold_sql.as_deref().is_some_and(|g| relation_count(g) == 1);
        let (outcome, predicted_sql, detail) = match (prediction, &case.gold_sql) {
            (Prediction::Refused(why), Some(_)) => (Outcome::MissedRefusal, None, Some(why)),
            (Prediction::Refused(why), None) => (Outcome::RightRefusal, None, Some(why)),
            (Prediction::Sql(sql), None) => (Outcome::Wrong, Some(sql), Some("nothing answers this".to_owned())),
            (Prediction::Sql(sql), Some(gold)) => {
                let verdict = judge(&case.db, &sql, gold, &execute).await;
                let outcome = if verdict.is_ok() { Outcome::Correct } else { Outcome::Wrong };
                (outcome, Some(sql), verdict.err())
            }
        };
        results.push(CaseResult {
            question: case.question.clone(),
            category: case.category.clone(),
            db: case.db.clone(),
            outcome,
            answerable: case.gold_sql.is_some(),
            single_table,
            predicted_sql,
            detail,
        });
    }
    Report { results }
}

async fn judge(
    db: &str,
    predicted: &str,
    gold: &str,
    execute: &impl AsyncFn(&str, &str) -> Result<Vec<Vec<Value>>, String>,
) -> Result<(), String> {
    let expected = execute(db, gold).await.map_err(|e| format!("the gold SQL failed: {e}"))?;
    let actual = execute(db, predicted).await.map_err(|e| format!("the SQL failed: {e}"))?;
    if same_result(&expected, &actual, orders(gold)) {
        Ok(())
    } else {
        Err(format!("{} rows where the gold has {}, or different values", actual.len(), expected.len()))
    }
}

/// Whether the gold query's outermost level has ORDER BY.
fn orders(sql: &str) -> bool {
    match Parser::parse_sql(&GenericDialect {}, sql).ok().and_then(|mut s| s.pop()) {
        Some(Statement::Query(query)) => query.order_by.is_some(),
        _ => sql.to_ascii_uppercase().contains("ORDER BY"),
    }
}

/// How many distinct tables a query reads.
fn relation_count(sql: &str) -> usize {
    let mut names = Vec::new();
    if let Ok(statements) = Parser::parse_sql(&GenericDialect {}, sql) {
        let _ = visit_relations(&statements, |name| {
            let name = name.to_string().to_lowercase();
            if !names.contains(&name) {
                names.push(name);
            }
            ControlFlow::<()>::Continue(())
        });
    }
    names.len()
}

/// A value compared loosely: numbers of any type as numbers, dates as days.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Cell {
    Null,
    Number(f64),
    Text(String),
}

fn cell(value: &Value) -> Cell {
    match value {
        Value::Null => Cell::Null,
        Value::Int(i) => Cell::Number(*i as f64),
        Value::BigInt(i) => Cell::Number(*i as f64),
        Value::Float(f) => Cell::Number(*f),
        Value::Decimal(d) => d.parse().map_or_else(|_| Cell::Text(d.clone()), Cell::Number),
        // A date truncated as a timestamp is still that day.
        Value::Timestamp(t) if t.time() == chrono::NaiveTime::MIN => Cell::Text(t.date().to_string()),
        other => Cell::Text(other.to_text()),
    }
}

fn close(a: &Cell, b: &Cell) -> bool {
    match (a, b) {
        (Cell::Number(x), Cell::Number(y)) => (x - y).abs() <= 1e-6 * x.abs().max(y.abs()).max(1.0),
        _ => a == b,
    }
}

fn rows_match(expected: &[Vec<Cell>], actual: &[Vec<Cell>]) -> bool {
    expected.iter().zip(actual).all(|(e, a)| e.len() == a.len() && e.iter().zip(a).all(|(x, y)| close(x, y)))
}

fn sorted(mut rows: Vec<Vec<Cell>>) -> Vec<Vec<Cell>> {
    rows.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    rows
}

/// Same rows (in order when `ordered`), after choosing for each gold column a distinct
/// column of the prediction.
fn same_result(expected: &[Vec<Value>], actual: &[Vec<Value>], ordered: bool) -> bool {
    if expected.len() != actual.len() {
        return false;
    }
    let expected: Vec<Vec<Cell>> = expected.iter().map(|r| r.iter().map(cell).collect()).collect();
    let actual: Vec<Vec<Cell>> = actual.iter().map(|r| r.iter().map(cell).collect()).collect();
    let gold_width = expected.first().map_or(0, Vec::len);
    let width = actual.first().map_or(0, Vec::len);
    if expected.is_empty() {
        return true;
    }
    let expected = if ordered { expected } else { sorted(expected) };
    column_choices(gold_width, width).into_iter().any(|choice| {
        let projected: Vec<Vec<Cell>> =
            actual.iter().map(|row| choice.iter().map(|&c| row[c].clone()).collect()).collect();
        let projected = if ordered { projected } else { sorted(projected) };
        rows_match(&expected, &projected)
    })
}

/// Every way to pick `wanted` distinct columns out of `available`, in order; capped, as
/// results of more than a few columns are compared column for column anyway.
fn column_choices(wanted: usize, available: usize) -> Vec<Vec<usize>> {
    const MOST: usize = 5_000;
    let mut choices = Vec::new();
    let mut current = Vec::new();
    fn extend(wanted: usize, available: usize, current: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if out.len() >= MOST {
            return;
        }
        if current.len() == wanted {
            out.push(current.clone());
            return;
        }
        for c in 0..available {
            if !current.contains(&c) {
                current.push(c);
                extend(wanted, available, current, out);
                current.pop();
            }
        }
    }
    if wanted <= available {
        extend(wanted, available, &mut current, &mut choices);
    }
    choices
}

/// The results of a run, by question; `Display` writes the Markdown table by category.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub results: Vec<CaseResult>,
}

/// Counts over a set of results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub questions: usize,
    pub answered: usize,
    pub correct: usize,
    pub refused: usize,
    /// Refusals of questions the gold answers.
    pub missed: usize,
    /// Questions the gold answers.
    pub answerable: usize,
}

impl Tally {
    fn add(&mut self, result: &CaseResult) {
        self.questions += 1;
        self.answerable += usize::from(result.answerable);
        match result.outcome {
            Outcome::Correct => {
                self.answered += 1;
                self.correct += 1;
            }
            Outcome::Wrong => self.answered += 1,
            Outcome::MissedRefusal => {
                self.refused += 1;
                self.missed += 1;
            }
            Outcome::RightRefusal => self.refused += 1,
        }
    }

    /// Correct among answered.
    pub fn precision(&self) -> f64 {
        ratio(self.correct, self.answered)
    }

    /// Answered among questions the gold answers.
    pub fn coverage(&self) -> f64 {
        ratio(self.answerable - self.missed, self.answerable)
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 { 1.0 } else { part as f64 / whole as f64 }
}

impl Report {
    pub fn total(&self) -> Tally {
        self.tally(|_| true)
    }

    /// Over questions whose gold reads one table.
    pub fn single_table(&self) -> Tally {
        self.tally(|r| r.single_table)
    }

    pub fn by_category(&self) -> BTreeMap<String, Tally> {
        let mut categories: BTreeMap<String, Tally> = BTreeMap::new();
        for result in &self.results {
            categories.entry(result.category.clone()).or_default().add(result);
        }
        categories
    }

    fn tally(&self, keep: impl Fn(&CaseResult) -> bool) -> Tally {
        let mut tally = Tally::default();
        for result in self.results.iter().filter(|r| keep(r)) {
            tally.add(result);
        }
        tally
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "| category | questions | answered | correct | correct of answered | refused | refused but answerable |"
        )?;
        writeln!(f, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")?;
        let row = |f: &mut fmt::Formatter<'_>, name: &str, t: &Tally| {
            writeln!(
                f,
                "| {name} | {} | {} | {} | {:.0}% | {} | {} |",
                t.questions,
                t.answered,
                t.correct,
                100.0 * t.precision(),
                t.refused,
                t.missed
            )
        };
        for (category, tally) in self.by_category() {
            row(f, &category, &tally)?;
        }
        row(f, "**all**", &self.total())?;
        let total = self.total();
        let single = self.single_table();
        writeln!(
            f,
            "\nAnswered {:.0}% of answerable questions ({:.0}% of single-table ones); {:.0}% of answers correct; \
             {} refusals, {} of them answerable.",
            100.0 * total.coverage(),
            100.0 * single.coverage(),
            100.0 * total.precision(),
            total.refused,
            total.missed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(values: &[&[Value]]) -> Vec<Vec<Value>> {
        values.iter().map(|r| r.to_vec()).collect()
    }

    #[test]
    fn results_compare_as_multisets_with_extra_columns_and_number_tolerance() {
        let gold = rows(&[&[Value::Text("a".into())], &[Value::Text("b".into())]]);
        let predicted = rows(&[&[Value::Text("b".into()), Value::Int(2)], &[Value::Text("a".into()), Value::Int(1)]]);
        assert!(same_result(&gold, &predicted, false));
        assert!(!same_result(&gold, &predicted, true));
        assert!(!same_result(&predicted, &gold, false), "a missing column is wrong");
        let decimal = rows(&[&[Value::Decimal("3.3333333333".into())]]);
        let float = rows(&[&[Value::Float(10.0 / 3.0)]]);
        assert!(same_result(&decimal, &float, false));
        assert!(!same_result(&decimal, &rows(&[&[Value::Float(3.34)]]), false));
    }

    #[test]
    fn gold_order_and_tables_are_read_from_the_sql() {
        assert!(orders("SELECT a FROM t ORDER BY a"));
        assert!(!orders("SELECT a FROM (SELECT a FROM t ORDER BY a) AS s"));
        assert_eq!(relation_count("SELECT * FROM s.t JOIN s.u ON t.a = u.a JOIN s.t AS x ON x.a = u.a"), 2);
    }
}
