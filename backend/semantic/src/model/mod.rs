//! The semantic model: what the tables of a data source mean. It is read from
//! `config/semantic/<datasource>.yaml`, checked against introspection, and can be drafted
//! from introspection for a person to refine.
//!
//! Dimensions and measures name columns, never SQL text: nothing from the file is spliced
//! into a query, so a model cannot smuggle SQL past the guard's intent.

mod draft;
mod load;
mod validate;

use serde::{Deserialize, Serialize};

use crate::query::Operator;

pub use load::{Origin, Problem, SemanticError};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SemanticModel {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub entities: Vec<Entity>,
    /// Metrics derived from two measures, named without an entity (`average_order_value`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<Metric>,
    /// Where the model was read from, so validation can name file and line.
    #[serde(skip)]
    pub origin: Option<Origin>,
}

/// One table, under a name the model's members are qualified with (`orders.revenue`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    pub name: String,
    /// `schema.table` (for Trino `catalog.schema.table`).
    pub table: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    /// The key column; distinct counts of the entity use it when a join repeats its rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<String>,
    /// The dimension that names a row (a product's name), shown when the entity itself is
    /// listed or grouped by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    #[serde(default)]
    pub measures: Vec<Measure>,
    /// Many-to-one joins from this entity to others (this entity holds the foreign key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub joins: Vec<Join>,
}

impl Entity {
    /// The schema and table name, split at the last dot.
    pub fn table_parts(&self) -> (&str, &str) {
        self.table.rsplit_once('.').unwrap_or(("", &self.table))
    }

    pub fn dimension(&self, name: &str) -> Option<&Dimension> {
        self.dimensions.iter().find(|d| d.name == name)
    }

    pub fn measure(&self, name: &str) -> Option<&Measure> {
        self.measures.iter().find(|m| m.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub name: String,
    pub column: String,
    pub kind: DimensionKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    /// Known values of a categorical dimension, which questions may mention ("shipped").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DimensionKind {
    Categorical,
    Time,
    Number,
    Boolean,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    pub name: String,
    pub aggregation: Aggregation,
    /// The aggregated column; `count` without one counts rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Instead of `column`: two or more numeric columns of the entity, multiplied row by
    /// row before aggregating (`[quantity, unit_price]` for revenue). Column names only,
    /// so the product is built in the syntax tree like any column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_of: Vec<String>,
    /// Conditions on the entity's own dimensions, all of which a row must meet to count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<MeasureFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    Sum,
    Count,
    CountDistinct,
    Avg,
    Min,
    Max,
}

impl Measure {
    /// The columns the measure reads: its column, or the factors of its product.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.column.iter().chain(&self.product_of).map(String::as_str)
    }
}

impl Aggregation {
    /// Whether the aggregate needs a column (all but a row count do).
    pub fn needs_column(self) -> bool {
        self != Aggregation::Count
    }

    /// Whether the aggregate needs numbers (min and max also order text and dates).
    pub fn needs_number(self) -> bool {
        matches!(self, Aggregation::Sum | Aggregation::Avg)
    }
}

/// How a client should show a measure's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Number,
    Currency,
    Percent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureFilter {
    /// A dimension of the measure's entity.
    pub dimension: String,
    pub operator: Operator,
    #[serde(default)]
    pub values: Vec<String>,
}

/// A metric computed from two measures, each `entity.measure`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub name: String,
    pub operation: MetricOperation,
    pub left: String,
    pub right: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricOperation {
    /// `left / right`, NULL where `right` is zero.
    Ratio,
    Difference,
    Sum,
    Product,
}

/// A many-to-one join: each row of the declaring entity matches at most one row of `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Join {
    pub to: String,
    pub on: Vec<ColumnPair>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnPair {
    /// A column of the declaring entity.
    pub from: String,
    /// A column of the joined entity.
    pub to: String,
}

impl SemanticModel {
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.entities.iter().find(|e| e.name == name)
    }

    pub fn metric(&self, name: &str) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.name == name)
    }

    /// The model of a database: the file when one is given (checked against the schema),
    /// else a draft from the schema; either way with the schema's sampled values merged in.
    pub fn for_schema(
        file: Option<&std::path::Path>,
        schema: &kurobe_connector::Schema,
    ) -> Result<SemanticModel, SemanticError> {
        let mut model = match file {
            Some(path) => {
                let model = SemanticModel::load(path)?;
                model.validate(schema)?;
                model
            }
            None => SemanticModel::draft(schema),
        };
        model.merge_samples(schema);
        Ok(model)
    }

    /// The model as YAML, the format [`SemanticModel::from_yaml_str`] reads.
    pub fn to_yaml(&self) -> String {
        // Serializing plain structs of strings and enums into YAML cannot fail.
        serde_yaml::to_string(self).unwrap_or_default()
    }

    /// Fills the known values of categorical dimensions that have none from the columns'
    /// sampled values, so a hand-written model learns the live data's values without
    /// listing them.
    pub fn merge_samples(&mut self, schema: &kurobe_connector::Schema) {
        for entity in &mut self.entities {
            let (schema_name, table_name) = entity.table.rsplit_once('.').unwrap_or(("", &entity.table));
            let Some(table) = schema.table(schema_name, table_name) else { continue };
            for dimension in &mut entity.dimensions {
                if dimension.kind != DimensionKind::Categorical || !dimension.values.is_empty() {
                    continue;
                }
                if let Some(samples) = table.column(&dimension.column).and_then(|c| c.sample_values.as_ref()) {
                    dimension.values.clone_from(samples);
                }
            }
        }
    }
}
