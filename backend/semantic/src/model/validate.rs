//! The checks a model passes: its references resolve inside the model (on load), and its
//! tables and columns exist in the data source (against introspection).

use std::collections::HashSet;

use kurobe_connector::{DataType, Schema};

use super::{Aggregation, DimensionKind, Entity, Problem, SemanticError, SemanticModel};

impl SemanticModel {
    /// Every table, column and join of the model exists in `schema`, and measures that add
    /// or average numbers name numeric columns.
    pub fn validate(&self, schema: &Schema) -> Result<(), SemanticError> {
        let mut problems = self.check_references();
        for entity in &self.entities {
            let (schema_name, table_name) = entity.table_parts();
            let Some(table) = schema.table(schema_name, table_name) else {
                problems.push(self.problem(
                    &[("name", &entity.name), ("table", &entity.table)],
                    format!("entities[{}].table", entity.name),
                    format!("the data source has no table `{}`", entity.table),
                ));
                continue;
            };
            let missing = |path: &[(&str, &str)], field: String, name: &str| {
                table
                    .column(name)
                    .is_none()
                    .then(|| self.problem(path, field, format!("`{}` has no column `{name}`", entity.table)))
            };
            let entity_entry = ("name", entity.name.as_str());
            if let Some(key) = &entity.primary_key {
                problems.extend(missing(
                    &[entity_entry, ("primary_key", key)],
                    format!("entities[{}].primary_key", entity.name),
                    key,
                ));
            }
            for d in &entity.dimensions {
                let field = format!("entities[{}].dimensions[{}].column", entity.name, d.name);
                problems.extend(missing(&[entity_entry, ("name", &d.name), ("column", &d.column)], field, &d.column));
            }
            for m in &entity.measures {
                // A product multiplies its columns, so they are numbers whatever the aggregate.
                let (key, needs_number) = match &m.column {
                    Some(_) => ("column", m.aggregation.needs_number()),
                    None => ("product_of", true),
                };
                for name in m.columns() {
                    let field = format!("entities[{}].measures[{}].{key}", entity.name, m.name);
                    let path = [entity_entry, ("name", m.name.as_str()), (key, name)];
                    match table.column(name) {
                        None => problems.extend(missing(&path, field, name)),
                        Some(info) if needs_number && !info.data_type.is_numeric() => {
                            let what =
                                if key == "column" { format!("{:?}", m.aggregation) } else { "A product".into() };
                            problems.push(self.problem(
                                &path,
                                field,
                                format!("{what} needs a numeric column; `{name}` is {}", info.native_type),
                            ));
                        }
                        Some(_) => {}
                    }
                }
            }
            for join in &entity.joins {
                let target = self.entity(&join.to).map(Entity::table_parts);
                let target_table = target.and_then(|(s, t)| schema.table(s, t));
                for pair in &join.on {
                    let path = [entity_entry, ("to", join.to.as_str()), ("from", pair.from.as_str())];
                    let field = format!("entities[{}].joins[{}].on", entity.name, join.to);
                    problems.extend(missing(&path, field.clone(), &pair.from));
                    if let Some(target_table) = target_table
                        && target_table.column(&pair.to).is_none()
                    {
                        problems.push(self.problem(
                            &path,
                            field,
                            format!("`{}` has no column `{}`", target_table.name, pair.to),
                        ));
                    }
                }
            }
            for d in entity.dimensions.iter().filter(|d| d.kind == DimensionKind::Time) {
                if let Some(info) = table.column(&d.column)
                    && !matches!(info.data_type, DataType::Date | DataType::Timestamp | DataType::TimestampTz)
                {
                    problems.push(self.problem(
                        &[entity_entry, ("name", &d.name)],
                        format!("entities[{}].dimensions[{}].kind", entity.name, d.name),
                        format!(
                            "a time dimension needs a date or timestamp column; `{}` is {}",
                            d.column, info.native_type
                        ),
                    ));
                }
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(SemanticError::Invalid { problems }) }
    }

    /// References inside the model: unique names, joins to existing entities, labels and
    /// measure filters naming dimensions, measures with the columns they need, metrics
    /// over existing measures.
    pub(crate) fn check_references<'a>(&'a self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut entity_names = HashSet::new();
        for entity in &self.entities {
            let at = |field: &str, path: &[(&'static str, &'a str)]| {
                let mut full = vec![("name", entity.name.as_str())];
                full.extend_from_slice(path);
                (full, format!("entities[{}]{field}", entity.name))
            };
            if !entity_names.insert(entity.name.as_str()) {
                let (path, field) = at(".name", &[]);
                problems.push(self.problem(&path, field, "another entity has this name".to_owned()));
            }
            let mut member_names = HashSet::new();
            let members = entity.dimensions.iter().map(|d| &d.name).chain(entity.measures.iter().map(|m| &m.name));
            for name in members {
                if !member_names.insert(name) {
                    let (path, field) = at(&format!("[{name}].name"), &[("name", name)]);
                    problems.push(self.problem(&path, field, "another dimension or measure has this name".to_owned()));
                }
            }
            if let Some(label) = &entity.label
                && entity.dimension(label).is_none()
            {
                let (path, field) = at(".label", &[("label", label)]);
                problems.push(self.problem(&path, field, format!("no dimension of this entity is called `{label}`")));
            }
            for m in &entity.measures {
                if !m.product_of.is_empty() {
                    let (path, field) = at(&format!(".measures[{}].product_of", m.name), &[("name", &m.name)]);
                    let problem = if m.column.is_some() {
                        Some("a measure has a column or a product_of, not both".to_owned())
                    } else if m.product_of.len() < 2 {
                        Some("a product needs at least two columns".to_owned())
                    } else if matches!(m.aggregation, Aggregation::Count | Aggregation::CountDistinct) {
                        Some(format!("{:?} does not apply to a product; use sum, avg, min or max", m.aggregation))
                    } else {
                        None
                    };
                    problems.extend(problem.map(|message| self.problem(&path, field, message)));
                } else if m.aggregation.needs_column() && m.column.is_none() {
                    let (path, field) = at(&format!(".measures[{}].column", m.name), &[("name", &m.name)]);
                    problems.push(self.problem(&path, field, format!("{:?} needs a column", m.aggregation)));
                }
                for filter in &m.filters {
                    if entity.dimension(&filter.dimension).is_none() {
                        let (path, field) = at(
                            &format!(".measures[{}].filters.dimension", m.name),
                            &[("name", &m.name), ("dimension", &filter.dimension)],
                        );
                        let message = format!("no dimension of this entity is called `{}`", filter.dimension);
                        problems.push(self.problem(&path, field, message));
                    }
                }
            }
            for join in &entity.joins {
                if self.entity(&join.to).is_none() {
                    let (path, field) = at(&format!(".joins[{}].to", join.to), &[("to", &join.to)]);
                    problems.push(self.problem(&path, field, format!("no entity is called `{}`", join.to)));
                }
                if join.on.is_empty() {
                    let (path, field) = at(&format!(".joins[{}].on", join.to), &[("to", &join.to)]);
                    problems.push(self.problem(&path, field, "a join needs at least one column pair".to_owned()));
                }
            }
        }
        for metric in &self.metrics {
            for (side, reference) in [("left", &metric.left), ("right", &metric.right)] {
                if self.measure_by_reference(reference).is_none() {
                    problems.push(self.problem(
                        &[("name", &metric.name), (side, reference)],
                        format!("metrics[{}].{side}", metric.name),
                        format!("`{reference}` is not a measure (`entity.measure`)"),
                    ));
                }
            }
        }
        problems
    }

    /// The entity and measure an `entity.measure` reference names.
    pub fn measure_by_reference(&self, reference: &str) -> Option<(&Entity, &super::Measure)> {
        let (entity, measure) = reference.split_once('.')?;
        let entity = self.entity(entity)?;
        Some((entity, entity.measure(measure)?))
    }

    /// The entity and dimension an `entity.dimension` reference names.
    pub fn dimension_by_reference(&self, reference: &str) -> Option<(&Entity, &super::Dimension)> {
        let (entity, dimension) = reference.split_once('.')?;
        let entity = self.entity(entity)?;
        Some((entity, entity.dimension(dimension)?))
    }
}
