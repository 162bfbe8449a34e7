//! What the fuzz targets share: the dialects, and the demo data source's schema as
//! introspection reports it — built without a database, because linking DuckDB into an
//! instrumented build would cost minutes for a schema that the demo crate already describes.

use std::collections::HashMap;

use kurobe_connector::{
    DataType, Dialect, ForeignKey, IntrospectOptions, Schema, TableKind,
    catalog::{CatalogRows, ColumnRow, KeyRow, TableRow, assemble},
};
use kurobe_demo::{DemoValue, ScaleFactor};

/// Every input goes through each dialect's parser.
pub const DIALECTS: [Dialect; 3] = [Dialect::Postgres, Dialect::DuckDb, Dialect::Trino];

/// Where `kurobe demo load` puts the tables, and what the demo's semantic model names.
const DEMO_SCHEMA: &str = "retail";

/// The demo's tables as DuckDB's catalog lists them, assembled by the connectors' own
/// [`assemble`], with the low-cardinality text values sampled as introspection does.
pub fn demo_schema() -> Schema {
    let mut rows = CatalogRows::default();
    for def in kurobe_demo::tables() {
        rows.tables.push(TableRow {
            schema: DEMO_SCHEMA.into(),
            name: def.name.into(),
            kind: TableKind::Table,
            comment: Some(def.description.into()),
            row_estimate: None,
        });
        for column in def.columns {
            rows.columns.push(ColumnRow {
                schema: DEMO_SCHEMA.into(),
                table: def.name.into(),
                name: column.name.into(),
                native_type: kurobe_demo::Dialect::DuckDb.type_name(column.ty),
                nullable: column.nullable,
                comment: Some(column.description.into()),
            });
        }
        rows.keys.push(KeyRow::Primary {
            schema: DEMO_SCHEMA.into(),
            table: def.name.into(),
            columns: vec![def.primary_key.into()],
        });
        for key in def.foreign_keys {
            rows.keys.push(KeyRow::Foreign {
                schema: DEMO_SCHEMA.into(),
                table: def.name.into(),
                key: ForeignKey {
                    columns: vec![key.column.into()],
                    referenced_schema: DEMO_SCHEMA.into(),
                    referenced_table: key.references_table.name().into(),
                    referenced_columns: vec![key.references_column.into()],
                },
            });
        }
    }
    let mut schema = assemble(rows);
    sample_values(&mut schema);
    schema
}

/// `catalog::sample_values` over the generated rows instead of SQL: a text column's
/// distinct values, most frequent first, when there are few enough of them. The scale
/// only changes how many customers and orders there are, not which values occur.
fn sample_values(schema: &mut Schema) {
    let options = IntrospectOptions::default();
    let scale = ScaleFactor::new(0.01).expect("a valid scale");
    for table in &mut schema.tables {
        let Some(def) = kurobe_demo::tables().iter().find(|d| d.name == table.name) else { continue };
        let sample: Vec<Vec<DemoValue>> =
            kurobe_demo::rows(def.table, scale).take(options.sample_rows as usize).collect();
        for (i, column) in table.columns.iter_mut().enumerate() {
            if column.data_type != DataType::Text {
                continue;
            }
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for row in &sample {
                if let Some(DemoValue::Text(value)) = row.get(i) {
                    *counts.entry(value).or_default() += 1;
                }
            }
            if counts.len() > options.max_sample_values {
                continue;
            }
            let mut values: Vec<(&str, usize)> = counts.into_iter().collect();
            values.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            column.sample_values = Some(values.into_iter().map(|(v, _)| v.to_owned()).collect());
        }
    }
}
