//! A first model drafted from introspection, for `kurobe semantic init` to write and a
//! person to refine: what the keys, types and comments already say.

use std::collections::HashSet;

use kurobe_connector::{ColumnInfo, DataType, Schema, Table};

use super::{Aggregation, ColumnPair, Dimension, DimensionKind, Entity, Join, Measure, SemanticModel};
use crate::words;

impl SemanticModel {
    /// Entities for every table; foreign keys become joins; numeric columns become number
    /// dimensions with sum, average, minimum and maximum measures; date and timestamp
    /// columns become time dimensions with first and last; text and boolean columns become
    /// categorical dimensions carrying their sampled values; each entity counts its rows;
    /// foreign-key columns count distinct values. Key columns are left out as dimensions:
    /// identifiers answer no question on their own.
    pub fn draft(schema: &Schema) -> SemanticModel {
        let names = entity_names(schema);
        let entities =
            schema.tables.iter().zip(&names).map(|(table, name)| draft_entity(schema, &names, table, name)).collect();
        SemanticModel { description: None, entities, metrics: Vec::new(), origin: None }
    }
}

/// Table names, qualified with the schema only where two schemas share a table name.
fn entity_names(schema: &Schema) -> Vec<String> {
    let mut seen = HashSet::new();
    let duplicated: HashSet<String> =
        schema.tables.iter().filter(|t| !seen.insert(t.name.to_lowercase())).map(|t| t.name.to_lowercase()).collect();
    schema
        .tables
        .iter()
        .map(|t| {
            if duplicated.contains(&t.name.to_lowercase()) {
                format!("{}_{}", t.schema.replace('.', "_"), t.name)
            } else {
                t.name.clone()
            }
        })
        .collect()
}

fn draft_entity(schema: &Schema, names: &[String], table: &Table, name: &str) -> Entity {
    let foreign: HashSet<&str> =
        table.foreign_keys.iter().flat_map(|fk| fk.columns.iter().map(String::as_str)).collect();
    let is_key = |column: &str| table.primary_key.iter().any(|k| k == column) || foreign.contains(column);
    let mut dimensions = Vec::new();
    let mut measures = vec![Measure {
        name: "count".to_owned(),
        aggregation: Aggregation::Count,
        column: None,
        product_of: Vec::new(),
        filters: Vec::new(),
        description: Some(format!("Number of {}.", words::phrase(name))),
        synonyms: Vec::new(),
        format: None,
    }];
    for column in &table.columns {
        if is_key(&column.name) {
            continue;
        }
        let Some(kind) = dimension_kind(&column.data_type) else { continue };
        dimensions.push(Dimension {
            name: column.name.clone(),
            column: column.name.clone(),
            kind,
            description: column.comment.clone(),
            synonyms: synonyms(&column.name),
            values: match kind {
                DimensionKind::Categorical => column.sample_values.clone().unwrap_or_default(),
                _ => Vec::new(),
            },
        });
        measures.extend(column_measures(column, kind));
    }
    measures.extend(product_measure(&dimensions, &measures));
    for fk in &table.foreign_keys {
        if let [column] = fk.columns.as_slice() {
            measures.push(measure(format!("distinct_{column}"), Aggregation::CountDistinct, column));
        }
    }
    let joins = table
        .foreign_keys
        .iter()
        .filter_map(|fk| {
            let index = schema.tables.iter().position(|t| {
                t.schema.eq_ignore_ascii_case(&fk.referenced_schema)
                    && t.name.eq_ignore_ascii_case(&fk.referenced_table)
            })?;
            let on = fk
                .columns
                .iter()
                .zip(&fk.referenced_columns)
                .map(|(from, to)| ColumnPair { from: from.clone(), to: to.clone() });
            Some(Join { to: names[index].clone(), on: on.collect() })
        })
        .collect();
    Entity {
        name: name.to_owned(),
        table: format!("{}.{}", table.schema, table.name),
        description: table.comment.clone(),
        synonyms: entity_synonyms(name),
        primary_key: match table.primary_key.as_slice() {
            [key] => Some(key.clone()),
            _ => None,
        },
        label: label(&dimensions),
        dimensions,
        measures,
        joins,
    }
}

fn dimension_kind(data_type: &DataType) -> Option<DimensionKind> {
    match data_type {
        DataType::Text => Some(DimensionKind::Categorical),
        DataType::Boolean => Some(DimensionKind::Boolean),
        DataType::Date | DataType::Timestamp | DataType::TimestampTz => Some(DimensionKind::Time),
        t if t.is_numeric() => Some(DimensionKind::Number),
        _ => None,
    }
}

fn column_measures(column: &ColumnInfo, kind: DimensionKind) -> Vec<Measure> {
    let name = &column.name;
    match kind {
        DimensionKind::Number => vec![
            measure(format!("total_{name}"), Aggregation::Sum, name),
            measure(format!("average_{name}"), Aggregation::Avg, name),
            measure(format!("min_{name}"), Aggregation::Min, name),
            measure(format!("max_{name}"), Aggregation::Max, name),
        ],
        DimensionKind::Time => vec![
            measure(format!("first_{name}"), Aggregation::Min, name),
            measure(format!("last_{name}"), Aggregation::Max, name),
        ],
        DimensionKind::Categorical => vec![measure(format!("distinct_{name}"), Aggregation::CountDistinct, name)],
        DimensionKind::Boolean => Vec::new(),
    }
}

/// Words of a column that holds how many of something a row is about.
const QUANTITY_WORDS: &[&str] = &["quantity", "qty", "units", "pieces", "pcs", "hours"];
/// Words of a column that holds what one of them costs.
const PRICE_WORDS: &[&str] = &["price", "cost", "fee", "rate"];
/// Words of a column that is already a total, or not a price of one.
const NOT_PER_UNIT: &[&str] = &["total", "sum", "subtotal", "amount", "extended", "discount", "tax"];

/// Where a table has a quantity-like and a price-like number column (`Qty` and
/// `UnitCost`), the sum of their product: what the rows are worth, which no single column
/// says. Named for the price (`total_cost`), with revenue words for prices and spending
/// words for costs; a person checks it like the rest of the draft.
fn product_measure(dimensions: &[Dimension], measures: &[Measure]) -> Option<Measure> {
    let numbers: Vec<(&str, Vec<String>)> = dimensions
        .iter()
        .filter(|d| d.kind == DimensionKind::Number)
        .map(|d| (d.column.as_str(), words::split(&d.column)))
        .collect();
    let has = |words: &[String], list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    let (quantity, quantity_words) =
        numbers.iter().find(|(_, w)| has(w, QUANTITY_WORDS) && !has(w, PRICE_WORDS) && !has(w, NOT_PER_UNIT))?;
    let prices =
        || numbers.iter().filter(|(_, w)| has(w, PRICE_WORDS) && !has(w, QUANTITY_WORDS) && !has(w, NOT_PER_UNIT));
    // "unit price" over "list price": the price of one of what the row counts.
    let (price, price_words) = prices().find(|(_, w)| has(w, &["unit", "each", "per"])).or_else(|| prices().next())?;
    let stem: Vec<&str> =
        price_words.iter().map(String::as_str).filter(|w| !matches!(*w, "unit" | "each" | "per")).collect();
    let taken = |name: &str| {
        let key = words::phrase(name);
        dimensions.iter().any(|d| words::phrase(&d.name) == key)
            || measures.iter().any(|m| words::phrase(&m.name) == key)
    };
    let preferred = format!("total_{}", stem.join("_"));
    let name = if taken(&preferred) { format!("{quantity}_times_{price}") } else { preferred };
    let spending = has(price_words, &["cost"]);
    let mut synonyms: Vec<String> = if spending {
        ["spend", "spending", "expenditure"].map(str::to_owned).to_vec()
    } else {
        ["revenue", "sales", "turnover", "income"].map(str::to_owned).to_vec()
    };
    synonyms.push(format!("{} times {}", quantity_words.join(" "), price_words.join(" ")));
    Some(Measure {
        name,
        aggregation: Aggregation::Sum,
        column: None,
        product_of: vec![(*quantity).to_owned(), (*price).to_owned()],
        filters: Vec::new(),
        description: Some(format!("{quantity} × {price}, summed (drafted from the column names: check it).")),
        synonyms,
        format: Some(super::Format::Currency),
    })
}

fn measure(name: String, aggregation: Aggregation, column: &str) -> Measure {
    Measure {
        name,
        aggregation,
        column: Some(column.to_owned()),
        product_of: Vec::new(),
        filters: Vec::new(),
        description: None,
        synonyms: Vec::new(),
        format: None,
    }
}

/// The name as words, when that differs from the name itself (`OrderDate` → "order date").
fn synonyms(name: &str) -> Vec<String> {
    let phrase = words::phrase(name);
    if phrase == name { Vec::new() } else { vec![phrase] }
}

/// The name as words, and in the other grammatical number (`OrderItems` → "order items",
/// "order item"), since a table is named for its rows in either.
fn entity_synonyms(name: &str) -> Vec<String> {
    let mut words = words::split(name);
    let mut synonyms = synonyms(name);
    if let Some(last) = words.last_mut() {
        let other = if words::singular(last) == *last { words::plural(last) } else { words::singular(last) };
        *last = other;
        synonyms.push(words.join(" "));
    }
    synonyms
}

/// The dimension that names a row: one called "name" or "title", else the first whose
/// words end in one of those ("full name", "ProductTitle").
fn label(dimensions: &[Dimension]) -> Option<String> {
    let text = || dimensions.iter().filter(|d| d.kind == DimensionKind::Categorical);
    let words_of = |d: &Dimension| words::split(&d.name);
    let naming = ["name", "title", "label"];
    text()
        .find(|d| matches!(words_of(d).as_slice(), [only] if naming.contains(&only.as_str())))
        .or_else(|| text().find(|d| words_of(d).last().is_some_and(|w| naming.contains(&w.as_str()))))
        .map(|d| d.name.clone())
}

#[cfg(test)]
mod tests {
    use kurobe_connector::{ForeignKey, TableKind};

    use super::*;

    fn column(name: &str, data_type: DataType, samples: Option<&[&str]>) -> ColumnInfo {
        ColumnInfo {
            name: name.to_owned(),
            data_type,
            native_type: String::new(),
            nullable: false,
            comment: None,
            sample_values: samples.map(|s| s.iter().map(|v| (*v).to_owned()).collect()),
        }
    }

    pub(crate) fn clinic() -> Schema {
        let table = |name: &str, columns: Vec<ColumnInfo>, key: &str, fks: Vec<ForeignKey>| Table {
            schema: "clinic".to_owned(),
            name: name.to_owned(),
            kind: TableKind::Table,
            comment: None,
            row_estimate: None,
            columns,
            primary_key: vec![key.to_owned()],
            foreign_keys: fks,
        };
        Schema {
            tables: vec![
                table(
                    "Wards",
                    vec![
                        column("WardId", DataType::Integer { bits: 32 }, None),
                        column("WardName", DataType::Text, Some(&["Cardiology", "Oncology"])),
                    ],
                    "WardId",
                    vec![],
                ),
                table(
                    "Admissions",
                    vec![
                        column("AdmissionId", DataType::Integer { bits: 32 }, None),
                        column("WardId", DataType::Integer { bits: 32 }, None),
                        column("AdmitDate", DataType::Date, None),
                        column("TotalCost", DataType::Decimal { precision: Some(10), scale: Some(2) }, None),
                        column("IsEmergency", DataType::Boolean, None),
                    ],
                    "AdmissionId",
                    vec![ForeignKey {
                        columns: vec!["WardId".to_owned()],
                        referenced_schema: "clinic".to_owned(),
                        referenced_table: "Wards".to_owned(),
                        referenced_columns: vec!["WardId".to_owned()],
                    }],
                ),
            ],
        }
    }

    #[test]
    fn the_draft_reads_keys_types_and_samples() {
        let model = SemanticModel::draft(&clinic());
        let wards = model.entity("Wards").unwrap();
        assert_eq!(wards.label.as_deref(), Some("WardName"));
        assert_eq!(wards.synonyms, ["wards", "ward"]);
        assert_eq!(wards.dimension("WardName").unwrap().values, ["Cardiology", "Oncology"]);
        assert!(wards.dimension("WardId").is_none(), "keys are not dimensions");
        let admissions = model.entity("Admissions").unwrap();
        assert_eq!(
            admissions.joins,
            [Join {
                to: "Wards".to_owned(),
                on: vec![ColumnPair { from: "WardId".to_owned(), to: "WardId".to_owned() }]
            }]
        );
        assert_eq!(admissions.dimension("AdmitDate").unwrap().kind, DimensionKind::Time);
        assert_eq!(admissions.dimension("IsEmergency").unwrap().kind, DimensionKind::Boolean);
        assert_eq!(admissions.dimension("TotalCost").unwrap().synonyms, ["total cost"]);
        let aggregations: Vec<_> = admissions
            .measures
            .iter()
            .filter(|m| m.column.as_deref() == Some("TotalCost"))
            .map(|m| m.aggregation)
            .collect();
        assert_eq!(aggregations, [Aggregation::Sum, Aggregation::Avg, Aggregation::Min, Aggregation::Max]);
        assert!(admissions.measure("count").is_some());
    }

    #[test]
    fn a_draft_round_trips_through_yaml_and_validates() {
        let schema = clinic();
        let model = SemanticModel::draft(&schema);
        let again = SemanticModel::from_yaml_str(&model.to_yaml(), "clinic.yaml").unwrap();
        assert_eq!(again.entities, model.entities);
        again.validate(&schema).unwrap();
    }

    #[test]
    fn validation_names_the_line_of_an_unknown_column() {
        let schema = clinic();
        let yaml = SemanticModel::draft(&schema).to_yaml().replace("column: TotalCost", "column: TotalPrice");
        let model = SemanticModel::from_yaml_str(&yaml, "clinic.yaml").unwrap();
        let error = model.validate(&schema).unwrap_err().to_string();
        let first = error.lines().next().unwrap();
        let line = yaml.lines().position(|l| l.contains("column: TotalPrice")).unwrap() + 1;
        assert_eq!(
            first,
            format!(
                "clinic.yaml:{line}: entities[Admissions].dimensions[TotalCost].column: `clinic.Admissions` has no column `TotalPrice`"
            )
        );
    }

    fn lines(columns: Vec<ColumnInfo>) -> Schema {
        let mut schema = clinic();
        schema.tables[1].name = "SupplyLines".to_owned();
        schema.tables[1].foreign_keys.clear();
        schema.tables[1].primary_key.clear();
        schema.tables[1].columns = columns;
        schema
    }

    #[test]
    fn a_quantity_and_a_unit_price_make_a_product_measure_by_their_words() {
        let number = |name: &str| column(name, DataType::Decimal { precision: Some(10), scale: Some(2) }, None);
        let schema = lines(vec![
            column("AdmissionId", DataType::Integer { bits: 32 }, None),
            number("Qty"),
            number("ListPrice"),
            number("UnitCost"),
            number("TotalCost"),
        ]);
        let model = SemanticModel::draft(&schema);
        let entity = model.entity("SupplyLines").unwrap();
        let product = entity.measures.iter().find(|m| !m.product_of.is_empty()).unwrap();
        assert_eq!(product.product_of, ["Qty", "UnitCost"], "the unit price, never a total");
        assert_eq!(product.aggregation, Aggregation::Sum);
        // "total cost" is taken by the TotalCost column.
        assert_eq!(product.name, "Qty_times_UnitCost");
        assert!(product.synonyms.contains(&"spend".to_owned()), "{:?}", product.synonyms);
        SemanticModel::from_yaml_str(&model.to_yaml(), "lines.yaml").unwrap().validate(&schema).unwrap();

        let schema = lines(vec![number("quantity"), number("unit_price")]);
        let model = SemanticModel::draft(&schema);
        let product = model.entities[1].measures.iter().find(|m| !m.product_of.is_empty()).unwrap();
        assert_eq!(
            (product.name.as_str(), &product.product_of[..]),
            ("total_price", &["quantity".to_owned(), "unit_price".to_owned()][..])
        );
        assert!(product.synonyms.contains(&"revenue".to_owned()));

        let schema = lines(vec![number("LengthOfStay"), number("TotalCharge"), number("DoseMg")]);
        assert!(
            SemanticModel::draft(&schema).entities.iter().flat_map(|e| &e.measures).all(|m| m.product_of.is_empty())
        );
    }

    #[test]
    fn a_product_of_text_columns_is_refused_against_the_schema() {
        let schema = lines(vec![
            column("Qty", DataType::Integer { bits: 32 }, None),
            ColumnInfo { native_type: "VARCHAR".to_owned(), ..column("Note", DataType::Text, None) },
        ]);
        let mut model = SemanticModel::draft(&schema);
        let mut revenue = measure("revenue".to_owned(), Aggregation::Sum, "Qty");
        revenue.column = None;
        revenue.product_of = vec!["Qty".to_owned(), "Note".to_owned()];
        model.entities[1].measures.push(revenue);
        let error = model.validate(&schema).unwrap_err().to_string();
        assert_eq!(
            error,
            "<model>:0: entities[SupplyLines].measures[revenue].product_of: A product needs a numeric column; `Note` is VARCHAR"
        );
    }

    #[test]
    fn hand_written_models_take_values_from_samples() {
        let schema = clinic();
        let mut model = SemanticModel::draft(&schema);
        model.entities[0].dimensions[0].values.clear();
        model.merge_samples(&schema);
        assert_eq!(model.entities[0].dimensions[0].values, ["Cardiology", "Oncology"]);
    }
}
