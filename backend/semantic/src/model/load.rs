//! Reading a model from YAML, with errors that name the file, the line and the field.

use std::{fmt, path::Path};

use super::SemanticModel;

/// The file a model was read from and its text, kept to find the line of an entry that
/// fails validation after parsing (serde only knows lines while it parses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    text: String,
}

/// One thing wrong with a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// 1-based; 0 when the model was not read from text.
    pub line: usize,
    /// The path of the offending field, e.g. `entities[orders].measures[revenue].column`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}: {}", self.file, self.line, self.field, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SemanticError {
    #[error("{file}: cannot read the semantic model: {source}")]
    Read { file: String, source: std::io::Error },
    #[error("{file}:{line}:{column}: {message}")]
    Syntax { file: String, line: usize, column: usize, message: String },
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid { problems: Vec<Problem> },
}

impl SemanticModel {
    /// Reads and checks the model in `path` (structure only; see [`SemanticModel::validate`]
    /// for the check against a live schema).
    pub fn load(path: &Path) -> Result<Self, SemanticError> {
        let file = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|source| SemanticError::Read { file: file.clone(), source })?;
        Self::from_yaml_str(&text, &file)
    }

    /// Parses `text`, naming `file_name` in errors, and checks that every reference inside
    /// the model (joins, labels, metric operands, measure filters) resolves.
    pub fn from_yaml_str(text: &str, file_name: &str) -> Result<Self, SemanticError> {
        let mut model: SemanticModel = serde_yaml::from_str(text).map_err(|e| {
            let location = e.location();
            SemanticError::Syntax {
                file: file_name.to_owned(),
                line: location.as_ref().map_or(0, serde_yaml::Location::line),
                column: location.as_ref().map_or(0, serde_yaml::Location::column),
                message: e.to_string(),
            }
        })?;
        model.origin = Some(Origin { file: file_name.to_owned(), text: text.to_owned() });
        let problems = model.check_references();
        if problems.is_empty() { Ok(model) } else { Err(SemanticError::Invalid { problems }) }
    }

    /// A problem at the entry reached by `path`: pairs of (key, value) naming each entry on
    /// the way down, e.g. `[("name", "orders"), ("name", "revenue"), ("column", "amount")]`.
    pub(crate) fn problem(&self, path: &[(&str, &str)], field: String, message: String) -> Problem {
        let (file, line) = match &self.origin {
            Some(origin) => (origin.file.clone(), locate(&origin.text, path)),
            None => ("<model>".to_owned(), 0),
        };
        Problem { file, line, field, message }
    }
}

/// The line of the last entry of `path` found in order, each searched after the previous
/// one; when an entry is not found, the line of the deepest one that was. Entries are
/// matched as YAML lines `key: value` (optionally a list item, optionally quoted).
fn locate(text: &str, path: &[(&str, &str)]) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0;
    let mut found = 0;
    for (key, value) in path {
        let hit = lines.iter().enumerate().skip(from).find(|(_, line)| is_entry(line, key, value));
        match hit {
            Some((index, _)) => {
                found = index + 1;
                from = index + 1;
            }
            None => break,
        }
    }
    found
}

fn is_entry(line: &str, key: &str, value: &str) -> bool {
    let content = line.trim_start().trim_start_matches("- ").trim();
    let Some(rest) = content.strip_prefix(key).and_then(|r| r.strip_prefix(':')) else { return false };
    let rest = rest.trim();
    rest.trim_matches(|c| c == '"' || c == '\'') == value
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = "\
entities:
  - name: orders
    table: shop.orders
    dimensions:
      - name: status
        column: status
        kind: categorical
    measures:
      - name: count
        aggregation: count
    joins:
      - to: customers
        on:
          - from: customer_id
            to: id
";

    #[test]
    fn a_type_error_names_file_line_and_column() {
        let text = MODEL.replace("kind: categorical", "kind: colour");
        let error = SemanticModel::from_yaml_str(&text, "shop.yaml").unwrap_err().to_string();
        assert!(error.starts_with("shop.yaml:7:"), "{error}");
        assert!(error.contains("colour"), "{error}");
    }

    #[test]
    fn an_unknown_field_is_refused_with_its_line() {
        let text = MODEL.replace("        aggregation: count", "        aggregation: count\n        colum: id");
        let error = SemanticModel::from_yaml_str(&text, "shop.yaml").unwrap_err().to_string();
        assert!(error.starts_with("shop.yaml:11:"), "{error}");
        assert!(error.contains("colum"), "{error}");
    }

    #[test]
    fn a_dangling_reference_names_the_line_of_its_entry() {
        let error = SemanticModel::from_yaml_str(MODEL, "shop.yaml").unwrap_err().to_string();
        assert_eq!(error, "shop.yaml:12: entities[orders].joins[customers].to: no entity is called `customers`");
    }

    #[test]
    fn a_product_measure_needs_two_columns_and_an_aggregate_of_numbers() {
        let model = |measure: &str| {
            let text = MODEL.replace("to: customers", "to: orders").replace(
                "        aggregation: count\n",
                &format!("        aggregation: count\n      - name: revenue\n{measure}"),
            );
            SemanticModel::from_yaml_str(&text, "shop.yaml").map(|_| ()).map_err(|e| e.to_string())
        };
        model("        aggregation: sum\n        product_of: [quantity, price]\n").unwrap();
        assert_eq!(
            model("        aggregation: sum\n        product_of: [quantity]\n").unwrap_err(),
            "shop.yaml:11: entities[orders].measures[revenue].product_of: a product needs at least two columns"
        );
        assert_eq!(
            model("        aggregation: count_distinct\n        product_of: [quantity, price]\n").unwrap_err(),
            "shop.yaml:11: entities[orders].measures[revenue].product_of: CountDistinct does not apply to a product; use sum, avg, min or max"
        );
        assert_eq!(
            model("        aggregation: sum\n        column: price\n        product_of: [quantity, price]\n")
                .unwrap_err(),
            "shop.yaml:11: entities[orders].measures[revenue].product_of: a measure has a column or a product_of, not both"
        );
    }

    #[test]
    fn locate_follows_the_path_and_falls_back_to_the_deepest_entry_found() {
        assert_eq!(locate(MODEL, &[("name", "orders"), ("name", "count")]), 9);
        assert_eq!(locate(MODEL, &[("name", "orders"), ("name", "nothing")]), 2);
        assert_eq!(locate(MODEL, &[("name", "status"), ("column", "status")]), 6);
    }
}
