//! A reading becomes a semantic query and the sentence that says how it was understood.

use std::collections::{HashMap, VecDeque};

use super::read::{Condition, DateCondition, Group, Pick, Rank, Reading};
use crate::{
    model::{Aggregation, DimensionKind, SemanticModel},
    query::{DateRange, Direction, Filter, Operator, Order, SemanticQuery, TimeDimension},
    words,
};

/// The query, what it was understood to ask, and the confidence it cost to get there.
pub(super) struct Built {
    pub query: SemanticQuery,
    pub interpretation: String,
    pub doubt: f64,
}

pub(super) fn build(model: &SemanticModel, reading: &Reading) -> Result<Built, String> {
    let mut doubt = 0.0;
    let mut parts: Vec<String> = Vec::new();
    let first_measure_entity = reading.measures.first().and_then(|p| pick_entity(model, p));
    let subject = reading
        .ranked_entity
        .or(first_measure_entity)
        .or_else(|| reading.entities.first().copied())
        .ok_or("the question names nothing the model knows")?;
    let mut query = SemanticQuery::default();
    let mut measures = reading.measures.clone();
    let ranked_by_pick = matches!(reading.rank, Some((Rank::Pick(_), _)));
    let mut groups = reading.groups.clone();
    // "average quantity per order line" is per row of the measure's own entity already.
    groups.retain(|g| {
        !matches!(g, Group::Entity(e) if !measures.is_empty()
        && measures.iter().all(|p| pick_entity(model, p) == Some(*e)))
    });
    // Rows without a label are listed (by their key) only when ranked by a column of theirs:
    // "top 5 admissions by charge"; "orders since March" counts them.
    let ranked_by_column = matches!(reading.rank, Some((Rank::Dimension(e, _), _)) if e == subject);
    let has_label = model.entities[subject].label.is_some() || ranked_by_column && key(model, subject).is_some();
    let listing_each = reading.list
        && measures.is_empty()
        && reading.having.is_empty()
        && !ranked_by_pick
        && reading.grain.is_none()
        && groups.iter().all(|g| matches!(g, Group::Entity(_)));
    if listing_each {
        // "the name and price of each product" lists products.
        groups.clear();
    }
    let aggregated = !measures.is_empty()
        || !reading.having.is_empty()
        || ranked_by_pick
        || !groups.is_empty()
        || reading.grain.is_some()
        // Rows without a label cannot be listed; "orders since March" counts them.
        || !has_label;

    if aggregated {
        if let Some((Rank::Pick(pick), _)) = &reading.rank
            && !measures.contains(pick)
        {
            measures.push(pick.clone());
        }
        for having in &reading.having {
            if !measures.contains(&having.pick) {
                measures.push(having.pick.clone());
            }
        }
        if measures.is_empty() {
            // "orders by status" counts them.
            let count = model.entities[subject]
                .measures
                .iter()
                .position(|m| m.aggregation == Aggregation::Count && m.column.is_none() && m.filters.is_empty());
            let index = count.ok_or("the model has no count to group")?;
            measures.push(Pick::Measure(subject, index));
            doubt += 0.1;
        }
        let ranks = (reading.ranked_entity.is_some() || reading.ranked_dimension.is_some()) && ranked_by_pick;
        let needs_subject_group = ranks || !reading.having.is_empty() && groups.is_empty();
        let subject_group = match reading.ranked_dimension {
            Some((e, d)) if reading.ranked_entity.is_none() => Group::Dimension(e, d),
            _ => Group::Entity(subject),
        };
        if needs_subject_group && !groups.contains(&subject_group) {
            groups.insert(0, subject_group);
        }
        parts.extend(measures.iter().map(|p| describe_pick(model, p)));
        query.measures = measures.iter().map(|p| pick_member(model, p)).collect();
        for group in &groups {
            let (e, d) = match group {
                Group::Entity(e) => (*e, label(model, *e)?),
                Group::Dimension(e, d) => (*e, *d),
            };
            let member = member(model, e, d);
            if !query.dimensions.contains(&member) {
                query.dimensions.push(member);
            }
        }
        if !query.dimensions.is_empty() {
            let names: Vec<String> = groups.iter().map(|g| describe_group(model, g)).collect();
            parts.push(format!("grouped by {}", names.join(" and ")));
        }
        for having in &reading.having {
            query.filters.push(Filter {
                member: pick_member(model, &having.pick),
                operator: having.operator,
                values: vec![having.value.clone()],
            });
            parts.push(format!(
                "keeping groups whose {} is {}",
                describe_pick(model, &having.pick),
                compared(having.operator, std::slice::from_ref(&having.value))
            ));
        }
    } else {
        let label = label(model, subject)?;
        // Named dimensions are shown too, filtered or not: a column more is harmless, a
        // column fewer loses what was asked.
        let mut shown = vec![(subject, label)];
        for &(e, d) in &reading.shown {
            if !shown.contains(&(e, d)) {
                shown.push((e, d));
            }
        }
        if let Some((Rank::Dimension(e, d), _)) = &reading.rank
            && !shown.contains(&(*e, *d))
        {
            shown.push((*e, *d));
        }
        if let Some(direction) = reading.sort_by_label {
            query.order.push(Order { member: member(model, subject, label), direction });
        }
        query.ungrouped = true;
        query.dimensions = shown.iter().map(|&(e, d)| member(model, e, d)).collect();
        let names: Vec<String> = shown.iter().map(|&(e, d)| dimension_words(model, e, d)).collect();
        parts.push(format!("listing {} ({})", words::phrase(&model.entities[subject].name), names.join(", ")));
    }

    for condition in &reading.conditions {
        query.filters.push(Filter {
            member: member(model, condition.entity, condition.dimension),
            operator: condition.operator,
            values: condition.values.clone(),
        });
        parts.push(describe_condition(model, condition));
    }

    if reading.grain.is_some() || !reading.dates.is_empty() {
        let ((e, d), ambiguous) = time_dimension(model, reading, subject, &groups, &measures)?;
        if ambiguous {
            doubt += 0.45;
        }
        let time_member = member(model, e, d);
        let mut time = TimeDimension { dimension: time_member.clone(), granularity: reading.grain, date_range: None };
        if let Some(grain) = reading.grain {
            parts.push(format!("by {}", grain.as_str()));
        }
        for condition in &reading.dates {
            let when = dimension_words(model, e, d);
            match condition {
                DateCondition::Within(span) => {
                    let (from, to) = match time.date_range {
                        Some(DateRange(from, to)) => (from.max(span.from), to.min(span.to)),
                        None => (span.from, span.to),
                    };
                    time.date_range = Some(DateRange(from, to));
                    parts.push(format!("with {when} from {} to {}", span.from, span.to));
                }
                DateCondition::Before(day) => {
                    query.filters.push(date_filter(&time_member, Operator::Before, *day));
                    parts.push(format!("with {when} before {day}"));
                }
                DateCondition::After(day) => {
                    query.filters.push(date_filter(&time_member, Operator::After, *day));
                    parts.push(format!("with {when} after {day}"));
                }
            }
        }
        if time.granularity.is_some() || time.date_range.is_some() {
            query.time_dimension = Some(time);
        }
    }

    if let Some((rank, direction)) = &reading.rank {
        let (member, words) = match rank {
            Rank::Pick(pick) => (pick_member(model, pick), describe_pick(model, pick)),
            Rank::Dimension(e, d) => (member(model, *e, *d), dimension_words(model, *e, *d)),
        };
        query.order.push(Order { member, direction: *direction });
        let way = if *direction == Direction::Desc { "highest" } else { "lowest" };
        parts.push(format!("ordered by {words}, {way} first"));
    }
    if let Some(limit) = reading.limit {
        query.limit = Some(limit);
        if reading.default_limit && limit > 1 {
            parts.push(format!("first {limit} (no number was given; {limit} by default)"));
        } else {
            parts.push(format!("first {limit}"));
        }
    }
    Ok(Built { query, interpretation: parts.join(", "), doubt })
}

/// The entity a measure belongs to; for a metric, that of its first operand.
fn pick_entity(model: &SemanticModel, pick: &Pick) -> Option<usize> {
    match pick {
        Pick::Measure(e, _) => Some(*e),
        Pick::Metric(m) => {
            let (entity, _) = model.measure_by_reference(&model.metrics[*m].left)?;
            model.entities.iter().position(|e| e.name == entity.name)
        }
    }
}

fn date_filter(member: &str, operator: Operator, day: chrono::NaiveDate) -> Filter {
    Filter { member: member.to_owned(), operator, values: vec![day.format("%Y-%m-%d").to_string()] }
}

/// The time dimension dates apply to: one the question names; else one of the entity the
/// question names last (not counting what it groups by), so "customers who ordered in
/// 2024" dates the orders; else the nearest along many-to-one joins from the subject.
/// Several candidates in that entity make the choice ambiguous.
fn time_dimension(
    model: &SemanticModel,
    reading: &Reading,
    subject: usize,
    groups: &[Group],
    measures: &[Pick],
) -> Result<((usize, usize), bool), String> {
    if let Some(named) = reading.time_dimension {
        return Ok((named, false));
    }
    let grouped = |e: usize| groups.iter().any(|g| matches!(g, Group::Entity(x) | Group::Dimension(x, _) if *x == e));
    let named = reading.entities.iter().rev().copied().filter(|&e| !grouped(e));
    // What is measured has the dates before what ranks it ("top products by revenue in
    // 2024" dates the sales, not the products).
    let measured = measures.iter().filter_map(|p| pick_entity(model, p));
    let candidates = named.chain(measured.flat_map(|e| forward(model, e))).chain(forward(model, subject));
    for entity in candidates {
        let times: Vec<usize> = model.entities[entity]
            .dimensions
            .iter()
            .enumerate()
            .filter(|(_, d)| d.kind == DimensionKind::Time)
            .map(|(i, _)| i)
            .collect();
        if let Some(&first) = times.first() {
            return Ok(((entity, first), times.len() > 1));
        }
    }
    Err("no date in the model fits the question's dates".to_owned())
}

/// Entities reachable from `start` along many-to-one joins, nearest first.
fn forward(model: &SemanticModel, start: usize) -> Vec<usize> {
    let index: HashMap<&str, usize> = model.entities.iter().enumerate().map(|(i, e)| (e.name.as_str(), i)).collect();
    let mut seen = vec![start];
    let mut queue = VecDeque::from([start]);
    while let Some(e) = queue.pop_front() {
        for join in &model.entities[e].joins {
            if let Some(&to) = index.get(join.to.as_str())
                && !seen.contains(&to)
            {
                seen.push(to);
                queue.push_back(to);
            }
        }
    }
    seen
}

/// The dimension that names the entity's rows: its label, else its key.
fn label(model: &SemanticModel, entity: usize) -> Result<usize, String> {
    let e = &model.entities[entity];
    e.label
        .as_deref()
        .and_then(|l| e.dimensions.iter().position(|d| d.name == l))
        .or_else(|| key(model, entity))
        .ok_or_else(|| format!("{} has no label to show its rows by", words::phrase(&e.name)))
}

/// The dimension reading the entity's primary key (see `with_keys`).
fn key(model: &SemanticModel, entity: usize) -> Option<usize> {
    let e = &model.entities[entity];
    let key = e.primary_key.as_deref()?;
    e.dimensions.iter().position(|d| d.column == key)
}

fn member(model: &SemanticModel, entity: usize, dimension: usize) -> String {
    let e = &model.entities[entity];
    format!("{}.{}", e.name, e.dimensions[dimension].name)
}

fn pick_member(model: &SemanticModel, pick: &Pick) -> String {
    match pick {
        Pick::Measure(e, m) => {
            let entity = &model.entities[*e];
            format!("{}.{}", entity.name, entity.measures[*m].name)
        }
        Pick::Metric(m) => model.metrics[*m].name.clone(),
    }
}

fn dimension_words(model: &SemanticModel, entity: usize, dimension: usize) -> String {
    let e = &model.entities[entity];
    let d = &e.dimensions[dimension];
    let name = words::phrase(&d.name);
    if e.label.as_deref() == Some(d.name.as_str()) && !name.contains(&words::singular(&words::phrase(&e.name))) {
        format!("{} {name}", words::singular(&words::phrase(&e.name)))
    } else {
        name
    }
}

fn describe_pick(model: &SemanticModel, pick: &Pick) -> String {
    match pick {
        Pick::Metric(m) => words::phrase(&model.metrics[*m].name),
        Pick::Measure(e, m) => {
            let entity = &model.entities[*e];
            let measure = &entity.measures[*m];
            let column = measure.column.as_deref().map(words::phrase).unwrap_or_default();
            if !measure.filters.is_empty() || !measure.product_of.is_empty() {
                return words::phrase(&measure.name);
            }
            match measure.aggregation {
                Aggregation::Count => format!("counting {}", words::phrase(&entity.name)),
                Aggregation::CountDistinct => format!("counting distinct {column}"),
                Aggregation::Sum => format!("total {column}"),
                Aggregation::Avg => format!("average {column}"),
                Aggregation::Min => format!("minimum {column}"),
                Aggregation::Max => format!("maximum {column}"),
            }
        }
    }
}

fn describe_group(model: &SemanticModel, group: &Group) -> String {
    match group {
        Group::Entity(e) => words::singular(&words::phrase(&model.entities[*e].name)),
        Group::Dimension(e, d) => dimension_words(model, *e, *d),
    }
}

fn describe_condition(model: &SemanticModel, condition: &Condition) -> String {
    let what = dimension_words(model, condition.entity, condition.dimension);
    format!("where {what} is {}", compared(condition.operator, &condition.values))
}

/// "not shipped or cancelled", "between 10 and 20", "more than 5".
fn compared(operator: Operator, values: &[String]) -> String {
    let values = if operator == Operator::Between { values.join(" and ") } else { values.join(" or ") };
    match operator_words(operator) {
        "" => values,
        words => format!("{words} {values}"),
    }
}

fn operator_words(operator: Operator) -> &'static str {
    match operator {
        Operator::Equals | Operator::In => "",
        Operator::NotEquals | Operator::NotIn => "not",
        Operator::Gt | Operator::After => "more than",
        Operator::Gte => "at least",
        Operator::Lt | Operator::Before => "less than",
        Operator::Lte => "at most",
        Operator::Between => "between",
        Operator::Contains => "containing",
        Operator::Set => "set",
        Operator::NotSet => "not set",
    }
}
