//! Semantic query → SQL for Postgres, DuckDB or Trino.

mod joins;
mod sql;

use chrono::Days;
use kurobe_connector::Dialect;
use serde::Serialize;
use sqlparser::ast::{BinaryOperator, DataType, Expr, Function};

use crate::{
    model::{Aggregation, Dimension, DimensionKind, Entity, Format, Measure, MetricOperation, SemanticModel},
    query::{Direction, Filter, Operator, SemanticQuery},
};
use joins::JoinPlan;

/// The SQL of a semantic query and what its columns are.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompiledQuery {
    pub sql: String,
    pub columns: Vec<OutputColumn>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputColumn {
    /// The column's name in the result.
    pub name: String,
    /// The member it shows (`orders.count`, `average_order_value`).
    pub member: String,
    pub role: ColumnRole,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnRole {
    Dimension,
    TimeDimension,
    Measure,
    Metric,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    #[error("`{0}` is not a member of the semantic model")]
    UnknownMember(String),
    #[error("`{0}` is not a measure or metric")]
    NotAMeasure(String),
    #[error("`{0}` is not a dimension")]
    NotADimension(String),
    #[error("`{0}` is not a time dimension")]
    NotATimeDimension(String),
    #[error("the query asks for nothing: name a measure or a dimension")]
    Empty,
    #[error("no join path connects {0}")]
    NoJoinPath(String),
    #[error(
        "`{0}` cannot be computed here: the joins repeat its rows, and it adds them up (ask for it without members of other entities)"
    )]
    FanOut(String),
    #[error("an ungrouped query lists rows; it cannot have measures (`{0}`)")]
    UngroupedMeasure(String),
    #[error("the filter on `{member}` with `{operator:?}` {problem}")]
    Filter { member: String, operator: Operator, problem: String },
    #[error("`{0}` cannot order the result: it is not one of the query's dimensions or measures")]
    Order(String),
    #[error("the compiled SQL did not parse back ({0}); this is a bug")]
    Internal(String),
}

/// A member a query names, resolved in the model.
#[derive(Clone, Copy)]
enum Member<'m> {
    Dimension(&'m Entity, &'m Dimension),
    Measure(&'m Entity, &'m Measure),
    Metric(&'m crate::model::Metric),
}

fn resolve<'m>(model: &'m SemanticModel, name: &str) -> Result<Member<'m>, CompileError> {
    let unknown = || CompileError::UnknownMember(name.to_owned());
    match name.split_once('.') {
        None => model.metric(name).map(Member::Metric).ok_or_else(unknown),
        Some((entity, member)) => {
            let entity = model.entity(entity).ok_or_else(unknown)?;
            entity
                .dimension(member)
                .map(|d| Member::Dimension(entity, d))
                .or_else(|| entity.measure(member).map(|m| Member::Measure(entity, m)))
                .ok_or_else(unknown)
        }
    }
}

impl<'m> Member<'m> {
    /// The entities whose tables the member reads.
    fn entities(self, model: &'m SemanticModel) -> Vec<&'m str> {
        match self {
            Member::Dimension(e, _) | Member::Measure(e, _) => vec![e.name.as_str()],
            Member::Metric(metric) => [&metric.left, &metric.right]
                .into_iter()
                .filter_map(|r| model.measure_by_reference(r))
                .map(|(e, _)| e.name.as_str())
                .collect(),
        }
    }

    fn is_aggregate(self) -> bool {
        !matches!(self, Member::Dimension(..))
    }
}

/// One item of the SELECT list.
struct Output {
    expr: Expr,
    column: OutputColumn,
}

/// Compiles `query` against `model` into SQL for `dialect`.
pub fn compile(model: &SemanticModel, query: &SemanticQuery, dialect: Dialect) -> Result<CompiledQuery, CompileError> {
    let measures = query.measures.iter().map(|m| resolve(model, m)).collect::<Result<Vec<_>, _>>()?;
    if let Some((name, _)) = query.measures.iter().zip(&measures).find(|(_, m)| !m.is_aggregate()) {
        return Err(CompileError::NotAMeasure(name.clone()));
    }
    if query.ungrouped
        && let Some(name) = query.measures.first()
    {
        return Err(CompileError::UngroupedMeasure(name.clone()));
    }
    let dimensions = query.dimensions.iter().map(|d| dimension(model, d)).collect::<Result<Vec<_>, _>>()?;
    let filters = query.filters.iter().map(|f| resolve(model, &f.member)).collect::<Result<Vec<_>, _>>()?;
    let time = match &query.time_dimension {
        Some(t) => {
            let (entity, d) = dimension(model, &t.dimension)?;
            if d.kind != DimensionKind::Time {
                return Err(CompileError::NotATimeDimension(t.dimension.clone()));
            }
            Some((t, entity, d))
        }
        None => None,
    };
    let grouped_by_time = time.is_some_and(|(t, _, _)| t.granularity.is_some());
    if measures.is_empty() && dimensions.is_empty() && !grouped_by_time {
        return Err(CompileError::Empty);
    }

    let mut needed: Vec<&str> = Vec::new();
    let mut roots: Vec<&str> = Vec::new();
    for m in &measures {
        roots.extend(m.entities(model));
    }
    needed.extend(&roots);
    needed.extend(dimensions.iter().map(|(e, _)| e.name.as_str()));
    needed.extend(time.iter().map(|(_, e, _)| e.name.as_str()));
    for f in &filters {
        needed.extend(f.entities(model));
    }
    roots.extend(needed.clone());
    let plan = joins::plan(model, &roots, &needed)?;

    let mut outputs: Vec<Output> = Vec::new();
    for (name, (entity, d)) in query.dimensions.iter().zip(&dimensions) {
        let column = output_column(&outputs, name, entity, &d.name, ColumnRole::Dimension, None);
        outputs.push(Output { expr: sql::column(&entity.name, &d.column), column });
    }
    if let Some((t, entity, d)) = time
        && let Some(grain) = t.granularity
    {
        let truncated = sql::call("date_trunc", vec![sql::text(grain.as_str()), sql::column(&entity.name, &d.column)]);
        let alias = format!("{}_{}", d.name, grain.as_str());
        let column = output_column(&outputs, &t.dimension, entity, &alias, ColumnRole::TimeDimension, None);
        outputs.push(Output { expr: sql::cast(truncated, DataType::Date), column });
    }
    let group_count = outputs.len();
    for (name, member) in query.measures.iter().zip(&measures) {
        let (expr, column) = match *member {
            Member::Measure(entity, m) => {
                let column = output_column(&outputs, name, entity, &m.name, ColumnRole::Measure, m.format);
                (measure_expr(&plan, entity, m)?, column)
            }
            Member::Metric(metric) => {
                let column = OutputColumn {
                    name: metric.name.clone(),
                    member: name.clone(),
                    role: ColumnRole::Metric,
                    format: metric.format,
                };
                (metric_expr(model, &plan, metric, dialect)?, column)
            }
            Member::Dimension(..) => return Err(CompileError::NotAMeasure(name.clone())),
        };
        outputs.push(Output { expr, column });
    }

    let mut conditions = Vec::new();
    let mut having = Vec::new();
    for (filter, member) in query.filters.iter().zip(&filters) {
        match *member {
            Member::Dimension(entity, d) => {
                conditions.push(filter_expr(filter, sql::column(&entity.name, &d.column), d.kind)?)
            }
            Member::Measure(entity, m) => {
                if query.ungrouped {
                    return Err(CompileError::UngroupedMeasure(filter.member.clone()));
                }
                having.push(filter_expr(filter, measure_expr(&plan, entity, m)?, DimensionKind::Number)?);
            }
            Member::Metric(metric) => {
                if query.ungrouped {
                    return Err(CompileError::UngroupedMeasure(filter.member.clone()));
                }
                having.push(filter_expr(filter, metric_expr(model, &plan, metric, dialect)?, DimensionKind::Number)?);
            }
        }
    }
    if let Some((t, entity, d)) = time
        && let Some(range) = t.date_range
    {
        let column = sql::column(&entity.name, &d.column);
        conditions.push(sql::binary(column.clone(), BinaryOperator::GtEq, sql::date(range.0)));
        if let Some(after_end) = range.1.checked_add_days(Days::new(1)) {
            conditions.push(sql::binary(column, BinaryOperator::Lt, sql::date(after_end)));
        }
    }

    let order = order_by(model, query, &outputs, &plan, dialect)?;
    let grouped = !query.ungrouped && group_count > 0;
    let group_by: Vec<String> = outputs[..group_count].iter().map(|o| o.expr.to_string()).collect();

    let mut text = String::from("SELECT ");
    let items: Vec<String> = outputs.iter().map(|o| format!("{} AS {}", o.expr, sql::ident(&o.column.name))).collect();
    text.push_str(&items.join(", "));
    text.push_str(&format!(" FROM {}", table_factor(plan.root)));
    for step in &plan.steps {
        let on = step
            .pairs
            .iter()
            .map(|(from, to)| {
                sql::binary(sql::column(&step.from.name, from), BinaryOperator::Eq, sql::column(&step.to.name, to))
            })
            .collect();
        let on =
            sql::all(on).ok_or_else(|| CompileError::Internal(format!("a join to {} has no columns", step.to.name)))?;
        text.push_str(&format!(" JOIN {} ON {on}", table_factor(step.to)));
    }
    if let Some(condition) = sql::all(conditions) {
        text.push_str(&format!(" WHERE {condition}"));
    }
    if grouped {
        text.push_str(&format!(" GROUP BY {}", group_by.join(", ")));
    }
    if let Some(condition) = sql::all(having) {
        text.push_str(&format!(" HAVING {condition}"));
    }
    if !order.is_empty() {
        text.push_str(&format!(" ORDER BY {}", order.join(", ")));
    }
    if let Some(limit) = query.limit {
        text.push_str(&format!(" LIMIT {limit}"));
    }
    Ok(CompiledQuery { sql: sql::render(&text, dialect)?, columns: outputs.into_iter().map(|o| o.column).collect() })
}

fn dimension<'m>(model: &'m SemanticModel, name: &str) -> Result<(&'m Entity, &'m Dimension), CompileError> {
    match resolve(model, name)? {
        Member::Dimension(entity, d) => Ok((entity, d)),
        _ => Err(CompileError::NotADimension(name.to_owned())),
    }
}

/// `schema.table AS entity`, the alias dropped where it is the table's own name.
fn table_factor(entity: &Entity) -> String {
    let (_, table) = entity.table_parts();
    let name = sql::table_name(&entity.table);
    if table == entity.name { name.to_string() } else { format!("{name} AS {}", sql::ident(&entity.name)) }
}

/// A result column named after its member, qualified with the entity only when another
/// column already has the name.
fn output_column(
    outputs: &[Output],
    member: &str,
    entity: &Entity,
    name: &str,
    role: ColumnRole,
    format: Option<Format>,
) -> OutputColumn {
    let taken = outputs.iter().any(|o| o.column.name == name);
    let name = if taken { format!("{}_{name}", entity.name) } else { name.to_owned() };
    OutputColumn { name, member: member.to_owned(), role, format }
}

/// The aggregate of a measure. Where the joins repeat the entity's rows, a count counts
/// distinct keys instead, and sums and averages are refused: they would silently add the
/// repeated rows up.
fn measure_expr(plan: &JoinPlan<'_>, entity: &Entity, measure: &Measure) -> Result<Expr, CompileError> {
    let fan_out = || CompileError::FanOut(format!("{}.{}", entity.name, measure.name));
    let repeats = plan.repeats(entity);
    let column = || match &measure.column {
        Some(c) => Ok(sql::column(&entity.name, c)),
        // `product_of`: column references multiplied in the tree, never text.
        None => measure
            .product_of
            .iter()
            .map(|c| sql::column(&entity.name, c))
            .reduce(|left, right| sql::binary(left, BinaryOperator::Multiply, right))
            .ok_or_else(fan_out),
    };
    let mut aggregate: Function = match measure.aggregation {
        Aggregation::Count if repeats => {
            let key = entity.primary_key.as_deref().ok_or_else(fan_out)?;
            sql::distinct("count", sql::column(&entity.name, key))
        }
        Aggregation::Count => match &measure.column {
            Some(c) => sql::function("count", vec![sql::column(&entity.name, c)]),
            None => sql::count_rows(),
        },
        Aggregation::CountDistinct => sql::distinct("count", column()?),
        Aggregation::Sum | Aggregation::Avg if repeats => return Err(fan_out()),
        Aggregation::Sum => sql::function("sum", vec![column()?]),
        Aggregation::Avg => sql::function("avg", vec![column()?]),
        Aggregation::Min => sql::function("min", vec![column()?]),
        Aggregation::Max => sql::function("max", vec![column()?]),
    };
    let conditions = measure
        .filters
        .iter()
        .map(|f| {
            let d = entity.dimension(&f.dimension).ok_or_else(|| CompileError::UnknownMember(f.dimension.clone()))?;
            let filter = Filter {
                member: format!("{}.{}", entity.name, d.name),
                operator: f.operator,
                values: f.values.clone(),
            };
            filter_expr(&filter, sql::column(&entity.name, &d.column), d.kind)
        })
        .collect::<Result<Vec<_>, _>>()?;
    // FILTER (WHERE …) is standard and all three engines read it.
    aggregate.filter = sql::all(conditions).map(Box::new);
    Ok(Expr::Function(aggregate))
}

fn metric_expr(
    model: &SemanticModel,
    plan: &JoinPlan<'_>,
    metric: &crate::model::Metric,
    dialect: Dialect,
) -> Result<Expr, CompileError> {
    let operand = |reference: &str| {
        let (entity, measure) =
            model.measure_by_reference(reference).ok_or_else(|| CompileError::UnknownMember(reference.to_owned()))?;
        measure_expr(plan, entity, measure)
    };
    let (left, right) = (operand(&metric.left)?, operand(&metric.right)?);
    let expr = match metric.operation {
        // A float numerator keeps integer counts from dividing as integers in Postgres.
        MetricOperation::Ratio => sql::binary(
            sql::cast(left, sql::double(dialect)),
            BinaryOperator::Divide,
            sql::call("nullif", vec![right, sql::number("0").ok_or_else(|| CompileError::Internal("0".to_owned()))?]),
        ),
        MetricOperation::Difference => sql::binary(left, BinaryOperator::Minus, right),
        MetricOperation::Sum => sql::binary(left, BinaryOperator::Plus, right),
        MetricOperation::Product => sql::binary(left, BinaryOperator::Multiply, right),
    };
    Ok(sql::nested(expr))
}

/// A value as a literal of the member's kind, or why it cannot be one.
fn literal(value: &str, kind: DimensionKind) -> Result<Expr, String> {
    match kind {
        DimensionKind::Number => sql::number(value.trim()).ok_or_else(|| format!("needs numbers, not `{value}`")),
        DimensionKind::Time => chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
            .map(sql::date)
            .map_err(|_| format!("needs dates as YYYY-MM-DD, not `{value}`")),
        DimensionKind::Boolean => match value.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" => Ok(sql::boolean(true)),
            "false" | "no" => Ok(sql::boolean(false)),
            _ => Err(format!("needs true or false, not `{value}`")),
        },
        DimensionKind::Categorical => Ok(sql::text(value)),
    }
}

fn filter_expr(filter: &Filter, target: Expr, kind: DimensionKind) -> Result<Expr, CompileError> {
    let fail =
        |problem: String| CompileError::Filter { member: filter.member.clone(), operator: filter.operator, problem };
    let count = filter.values.len();
    match filter.operator.arity() {
        Some(n) if n != count => return Err(fail(format!("takes {n} value(s), not {count}"))),
        None if count == 0 => return Err(fail("needs at least one value".to_owned())),
        _ => {}
    }
    let values = filter.values.iter().map(|v| literal(v, kind)).collect::<Result<Vec<_>, _>>().map_err(fail)?;
    let ordered = matches!(kind, DimensionKind::Number | DimensionKind::Time);
    let compare = |op: BinaryOperator, needs_order: bool| {
        if needs_order && !ordered {
            return Err(fail("applies to numbers and dates only".to_owned()));
        }
        Ok(sql::binary(target.clone(), op, values[0].clone()))
    };
    match filter.operator {
        Operator::Equals | Operator::In | Operator::NotEquals | Operator::NotIn => {
            let negated = matches!(filter.operator, Operator::NotEquals | Operator::NotIn);
            if let [value] = values.as_slice() {
                let op = if negated { BinaryOperator::NotEq } else { BinaryOperator::Eq };
                Ok(sql::binary(target, op, value.clone()))
            } else {
                Ok(Expr::InList { expr: Box::new(target), list: values, negated })
            }
        }
        Operator::Gt => compare(BinaryOperator::Gt, true),
        Operator::Gte => compare(BinaryOperator::GtEq, true),
        Operator::Lt => compare(BinaryOperator::Lt, true),
        Operator::Lte => compare(BinaryOperator::LtEq, true),
        Operator::Before | Operator::After if kind != DimensionKind::Time => {
            Err(fail("applies to dates only".to_owned()))
        }
        Operator::Before => compare(BinaryOperator::Lt, true),
        Operator::After => compare(BinaryOperator::Gt, true),
        Operator::Between if !ordered => Err(fail("applies to numbers and dates only".to_owned())),
        Operator::Between => Ok(Expr::Between {
            expr: Box::new(target),
            negated: false,
            low: Box::new(values[0].clone()),
            high: Box::new(values[1].clone()),
        }),
        Operator::Contains if kind != DimensionKind::Categorical => Err(fail("applies to text only".to_owned())),
        // strpos over lower-cased text is in every dialect's allowlist and needs no LIKE
        // pattern escaping.
        Operator::Contains => {
            let needle = sql::text(&filter.values[0].to_lowercase());
            let found = sql::call("strpos", vec![sql::call("lower", vec![target]), needle]);
            let zero = sql::number("0").ok_or_else(|| fail("0".to_owned()))?;
            Ok(sql::binary(found, BinaryOperator::Gt, zero))
        }
        Operator::Set => Ok(Expr::IsNotNull(Box::new(target))),
        Operator::NotSet => Ok(Expr::IsNull(Box::new(target))),
    }
}

/// ORDER BY items: the query's order, then (when there is an order or a limit) the
/// remaining dimensions, so that ties sort and cut the same way on every run and engine.
fn order_by(
    model: &SemanticModel,
    query: &SemanticQuery,
    outputs: &[Output],
    plan: &JoinPlan<'_>,
    dialect: Dialect,
) -> Result<Vec<String>, CompileError> {
    let mut items = Vec::new();
    let mut ordered: Vec<usize> = Vec::new();
    let direction = |d: Direction| match d {
        Direction::Asc => "ASC",
        Direction::Desc => "DESC",
    };
    for order in &query.order {
        if let Some(index) = outputs.iter().position(|o| o.column.member == order.member) {
            ordered.push(index);
            items.push(format!("{} {}", sql::ident(&outputs[index].column.name), direction(order.direction)));
            continue;
        }
        // Members not shown may still order: aggregates of a grouped query, columns of rows.
        let expr = match resolve(model, &order.member)? {
            Member::Dimension(entity, d) if query.ungrouped => sql::column(&entity.name, &d.column),
            Member::Measure(entity, m) if !query.ungrouped => measure_expr(plan, entity, m)?,
            Member::Metric(metric) if !query.ungrouped => metric_expr(model, plan, metric, dialect)?,
            _ => return Err(CompileError::Order(order.member.clone())),
        };
        items.push(format!("{expr} {}", direction(order.direction)));
    }
    let time_output = outputs.iter().position(|o| o.column.role == ColumnRole::TimeDimension);
    if query.order.is_empty()
        && let Some(index) = time_output
    {
        ordered.push(index);
        items.push(format!("{} ASC", sql::ident(&outputs[index].column.name)));
    }
    if query.limit.is_some() || !query.order.is_empty() {
        for (index, output) in outputs.iter().enumerate() {
            let is_group = matches!(output.column.role, ColumnRole::Dimension | ColumnRole::TimeDimension);
            if is_group && !ordered.contains(&index) {
                items.push(format!("{} ASC", sql::ident(&output.column.name)));
            }
        }
    }
    Ok(items)
}
