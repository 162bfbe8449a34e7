//! The semantic query: what to compute, in the model's terms, shaped like Cube's query API
//! but in snake_case. Members are `entity.member`; derived metrics are named bare.
//!
//! ```json
//! {
//!   "measures": ["orders.count"],
//!   "dimensions": ["regions.name"],
//!   "filters": [{"member": "orders.status", "operator": "equals", "values": ["shipped"]}],
//!   "time_dimension": {"dimension": "orders.order_date", "granularity": "month",
//!                      "date_range": ["2024-01-01", "2024-12-31"]},
//!   "order": [{"member": "orders.count", "direction": "desc"}],
//!   "limit": 10
//! }
//! ```
//!
//! Filters on measures apply after grouping (`HAVING`); filters on dimensions before
//! (`WHERE`). `ungrouped: true` lists rows (the dimensions of each row) instead of groups.

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SemanticQuery {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measures: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<Filter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_dimension: Option<TimeDimension>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order: Vec<Order>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Rows as they are rather than one per group; only dimensions may be asked for.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ungrouped: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub member: String,
    pub operator: Operator,
    /// Compared as the member's type: numbers, `YYYY-MM-DD` dates, `true`/`false`, text.
    #[serde(default, deserialize_with = "values_as_text")]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// One value: `=`; several: any of them.
    Equals,
    NotEquals,
    In,
    NotIn,
    Gt,
    Gte,
    Lt,
    Lte,
    /// Two values, both included.
    Between,
    /// Strictly before a date.
    Before,
    /// Strictly after a date.
    After,
    /// Contains the text, ignoring case.
    Contains,
    /// Not NULL.
    Set,
    NotSet,
}

impl Operator {
    /// How many values the operator takes: `None` for one or more.
    pub fn arity(self) -> Option<usize> {
        match self {
            Operator::Equals | Operator::NotEquals | Operator::In | Operator::NotIn => None,
            Operator::Between => Some(2),
            Operator::Set | Operator::NotSet => Some(0),
            _ => Some(1),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeDimension {
    pub dimension: String,
    /// Groups by the truncated date; without it the dimension only filters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity: Option<Granularity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_range: Option<DateRange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Granularity {
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Day => "day",
            Granularity::Week => "week",
            Granularity::Month => "month",
            Granularity::Quarter => "quarter",
            Granularity::Year => "year",
        }
    }
}

/// Both days included; JSON `["2024-01-01", "2024-12-31"]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRange(pub NaiveDate, pub NaiveDate);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    pub member: String,
    #[serde(default)]
    pub direction: Direction,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    Asc,
    Desc,
}

/// Filter values arrive as JSON strings, numbers or booleans; they are kept as text and
/// typed by the member they are compared with.
fn values_as_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Number(serde_json::Number),
        Bool(bool),
    }
    let values = Vec::<Scalar>::deserialize(deserializer)?;
    Ok(values
        .into_iter()
        .map(|v| match v {
            Scalar::Text(t) => t,
            Scalar::Number(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_json_shape_parses() {
        let query: SemanticQuery = serde_json::from_str(
            r#"{"measures":["orders.count"],"dimensions":["regions.name"],
                "filters":[{"member":"orders.status","operator":"equals","values":["shipped"]},
                           {"member":"orders.total","operator":"gt","values":[100]}],
                "time_dimension":{"dimension":"orders.order_date","granularity":"month",
                                  "date_range":["2024-01-01","2024-12-31"]},
                "order":[{"member":"orders.count","direction":"desc"}],"limit":10}"#,
        )
        .unwrap();
        assert_eq!(query.filters[1].values, ["100"]);
        let range = query.time_dimension.as_ref().unwrap().date_range.unwrap();
        assert_eq!(range.1, NaiveDate::from_ymd_opt(2024, 12, 31).unwrap());
        let again: SemanticQuery = serde_json::from_str(&serde_json::to_string(&query).unwrap()).unwrap();
        assert_eq!(again, query);
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<SemanticQuery>(r#"{"measure":["orders.count"]}"#).is_err());
    }
}
