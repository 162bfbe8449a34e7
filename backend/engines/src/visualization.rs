//! Choosing a chart for a result: by rules from its shape and types, or by a model that may
//! only pick among the declarative kinds. Every spec is validated against the result before
//! it is used; a model's invalid choice falls back to the rules.

use kurobe_api::chart::{ChartKind, ChartSpec, ValueFormat};
use kurobe_connector::{Column, DataType};
use serde_json::Value as Json;

use crate::llm::{ChatModel, ChatRequest, LlmError, Message, Role};

/// Why a chart spec does not fit a result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChartError {
    #[error("column `{0}` is not in the result")]
    UnknownColumn(String),
    #[error("{kind:?} needs {need}")]
    Misfit { kind: ChartKind, need: &'static str },
    #[error("the model's chart is not valid JSON of the chart schema: {0}")]
    Malformed(String),
    #[error(transparent)]
    Model(#[from] LlmError),
}

/// Pies with more slices than this are unreadable.
const MAX_PIE_SLICES: usize = 12;

fn kind_of<'a>(columns: &'a [Column], name: &str) -> Result<&'a DataType, ChartError> {
    columns
        .iter()
        .find(|c| c.name == name)
        .map(|c| &c.data_type)
        .ok_or_else(|| ChartError::UnknownColumn(name.to_owned()))
}

/// Checks that every column the spec names exists and that the kind fits their types and
/// the number of rows.
pub fn validate(spec: &ChartSpec, columns: &[Column], rows: usize) -> Result<(), ChartError> {
    let misfit = |need| Err(ChartError::Misfit { kind: spec.kind, need });
    for name in spec.x.iter().chain(&spec.y).chain(&spec.series) {
        kind_of(columns, name)?;
    }
    let numeric_y = !spec.y.is_empty() && spec.y.iter().all(|y| kind_of(columns, y).is_ok_and(DataType::is_numeric));
    let x = spec.x.as_deref().map(|x| kind_of(columns, x)).transpose()?;
    match spec.kind {
        ChartKind::Table => Ok(()),
        ChartKind::Kpi if rows == 1 && spec.y.len() == 1 && numeric_y && spec.x.is_none() => Ok(()),
        ChartKind::Kpi => misfit("one row and one numeric y, no x"),
        _ if !numeric_y => misfit("numeric y columns"),
        ChartKind::Line | ChartKind::Area if x.is_some() => Ok(()),
        ChartKind::Line | ChartKind::Area => misfit("an x column"),
        ChartKind::Bar if x.is_some() => Ok(()),
        ChartKind::Bar => misfit("an x column"),
        ChartKind::StackedBar if x.is_some() && (spec.series.is_some() || spec.y.len() > 1) => Ok(()),
        ChartKind::StackedBar => misfit("an x column and a series column or several y columns"),
        ChartKind::Pie if x.is_some() && spec.y.len() == 1 && rows <= MAX_PIE_SLICES => Ok(()),
        ChartKind::Pie => misfit("a category x, one y, and at most 12 rows"),
        ChartKind::Scatter if x.is_some_and(DataType::is_numeric) && spec.y.len() == 1 => Ok(()),
        ChartKind::Scatter => misfit("a numeric x and one numeric y"),
    }
}

/// The format a measure column suggests by its name.
fn format_for(name: &str, data_type: &DataType) -> ValueFormat {
    let lower = name.to_lowercase();
    if ["revenue", "amount", "price", "sales", "cost", "total"].iter().any(|w| lower.contains(w)) {
        ValueFormat::Currency
    } else if lower.contains("rate") || lower.contains("pct") || lower.contains("percent") || lower.contains("share") {
        ValueFormat::Percent
    } else if matches!(data_type, DataType::Integer { .. }) {
        ValueFormat::Integer
    } else {
        ValueFormat::Number
    }
}

/// The chart the result's shape suggests: one number is a KPI; time against measures a
/// line; categories against a measure a bar (stacked with a second category); two
/// measures a scatter; anything else a table.
pub fn choose(columns: &[Column], rows: usize) -> ChartSpec {
    let measures: Vec<&Column> = columns.iter().filter(|c| c.data_type.is_numeric()).collect();
    let times: Vec<&Column> = columns.iter().filter(|c| c.data_type.is_temporal()).collect();
    let categories: Vec<&Column> = columns.iter().filter(|c| c.data_type == DataType::Text).collect();
    let spec = |kind, x: Option<&Column>, y: &[&Column], series: Option<&Column>| ChartSpec {
        kind,
        x: x.map(|c| c.name.clone()),
        y: y.iter().map(|c| c.name.clone()).collect(),
        series: series.map(|c| c.name.clone()),
        format: y.first().map(|c| format_for(&c.name, &c.data_type)),
    };
    let chosen = match (times.as_slice(), categories.as_slice(), measures.as_slice()) {
        (_, _, [only]) if rows == 1 && columns.len() == 1 => spec(ChartKind::Kpi, None, &[only], None),
        ([time], [], [_, ..]) => spec(ChartKind::Line, Some(time), &measures, None),
        ([time], [category], [measure]) => spec(ChartKind::Line, Some(time), &[measure], Some(category)),
        ([], [category], [_, ..]) => spec(ChartKind::Bar, Some(category), &measures, None),
        ([], [x, series], [measure]) => spec(ChartKind::StackedBar, Some(x), &[measure], Some(series)),
        ([], [], [x, y]) if rows > 1 => spec(ChartKind::Scatter, Some(x), &[y], None),
        _ => ChartSpec { kind: ChartKind::Table, x: None, y: Vec::new(), series: None, format: None },
    };
    if validate(&chosen, columns, rows).is_ok() {
        chosen
    } else {
        ChartSpec { kind: ChartKind::Table, x: None, y: Vec::new(), series: None, format: None }
    }
}

/// Asks a model to choose among the chart kinds for a result, and validates its answer.
pub async fn choose_with_model(
    model: &dyn ChatModel,
    question: &str,
    columns: &[Column],
    sample: &[Vec<String>],
    rows: usize,
) -> Result<ChartSpec, ChartError> {
    let kinds: Vec<String> = ChartKind::ALL.iter().map(|k| serde_json::to_string(k).unwrap_or_default()).collect();
    let described: Vec<String> = columns.iter().map(|c| format!("{} ({})", c.name, c.native_type)).collect();
    let system = format!(
        "You choose how to chart a query result. Answer with one JSON object and nothing else: \
         {{\"kind\": one of [{}], \"x\": column or null, \"y\": [columns], \"series\": column or null, \
         \"format\": one of [\"number\", \"integer\", \"currency\", \"percent\"] or null}}. \
         Use only the columns listed.",
        kinds.join(", ")
    );
    let content = format!(
        "Question: {question}\nColumns: {}\nRows: {rows}\nFirst rows: {}",
        described.join(", "),
        serde_json::to_string(sample).unwrap_or_default()
    );
    let request = ChatRequest {
        system,
        messages: vec![Message { role: Role::User, content }],
        max_tokens: 200,
        temperature: 0.0,
    };
    let answer = model.complete(&request).await?;
    let text = answer.text.as_str();
    let json = match (text.find('{'), text.rfind('}')) {
        (Some(start), Some(end)) if start < end => &text[start..=end],
        _ => return Err(ChartError::Malformed("no JSON object in the answer".into())),
    };
    let value: Json = serde_json::from_str(json).map_err(|e| ChartError::Malformed(e.to_string()))?;
    let spec: ChartSpec = serde_json::from_value(value).map_err(|e| ChartError::Malformed(e.to_string()))?;
    validate(&spec, columns, rows)?;
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, data_type: DataType) -> Column {
        Column { name: name.into(), native_type: String::new(), data_type }
    }

    #[test]
    fn rules_pick_the_chart_the_shape_suggests() {
        let int = DataType::Integer { bits: 64 };
        let money = DataType::Decimal { precision: Some(10), scale: Some(2) };
        let cases = [
            (vec![col("revenue", money.clone())], 1, ChartKind::Kpi),
            (vec![col("month", DataType::Date), col("revenue", money.clone())], 12, ChartKind::Line),
            (
                vec![col("month", DataType::Date), col("region", DataType::Text), col("orders", int.clone())],
                96,
                ChartKind::Line,
            ),
            (vec![col("region", DataType::Text), col("revenue", money.clone())], 8, ChartKind::Bar),
            (
                vec![col("status", DataType::Text), col("region", DataType::Text), col("orders", int.clone())],
                40,
                ChartKind::StackedBar,
            ),
            (vec![col("price", money.clone()), col("quantity", int)], 500, ChartKind::Scatter),
            (vec![col("name", DataType::Text), col("email", DataType::Text)], 20, ChartKind::Table),
        ];
        for (columns, rows, kind) in cases {
            let spec = choose(&columns, rows);
            assert_eq!(spec.kind, kind, "{columns:?}");
            validate(&spec, &columns, rows).unwrap();
        }
        let revenue = choose(&[col("region", DataType::Text), col("revenue", money)], 8);
        assert_eq!(revenue.format, Some(ValueFormat::Currency));
    }

    #[test]
    fn specs_that_do_not_fit_are_refused() {
        let columns = [col("region", DataType::Text), col("orders", DataType::Integer { bits: 64 })];
        let spec = |kind, x: Option<&str>, y: &[&str]| ChartSpec {
            kind,
            x: x.map(Into::into),
            y: y.iter().map(|s| (*s).to_owned()).collect(),
            series: None,
            format: None,
        };
        assert!(validate(&spec(ChartKind::Bar, Some("region"), &["orders"]), &columns, 8).is_ok());
        assert_eq!(
            validate(&spec(ChartKind::Bar, Some("nope"), &["orders"]), &columns, 8),
            Err(ChartError::UnknownColumn("nope".into()))
        );
        assert!(validate(&spec(ChartKind::Bar, Some("orders"), &["region"]), &columns, 8).is_err());
        assert!(validate(&spec(ChartKind::Pie, Some("region"), &["orders"]), &columns, 40).is_err());
        assert!(validate(&spec(ChartKind::Scatter, Some("region"), &["orders"]), &columns, 8).is_err());
        assert!(validate(&spec(ChartKind::Kpi, None, &["orders"]), &columns, 8).is_err());
    }
}
