use kurobe_connector::{
    Connector, ConnectorError, ExecRequest, ForeignKey, IntrospectOptions, Limits, Schema, TableKind, Value,
    catalog::{self, CatalogRows, ColumnRow, KeyRow, TableRow},
};

use crate::DuckDbConnector;

const TABLES: &str = "SELECT schema_name, table_name, 'table', comment, estimated_size FROM duckdb_tables() \
     WHERE NOT internal AND NOT temporary \
     UNION ALL SELECT schema_name, view_name, 'view', comment, NULL FROM duckdb_views() \
     WHERE NOT internal AND NOT temporary";
const COLUMNS: &str = "SELECT schema_name, table_name, column_name, data_type, is_nullable, comment \
     FROM duckdb_columns() WHERE NOT internal ORDER BY schema_name, table_name, column_index";
const KEYS: &str = "SELECT schema_name, table_name, constraint_type, constraint_column_names, \
     referenced_table, referenced_column_names FROM duckdb_constraints() \
     WHERE constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')";

fn text(value: &Value) -> String {
    value.to_text()
}

fn optional_text(value: &Value) -> Option<String> {
    (*value != Value::Null).then(|| value.to_text())
}

fn texts(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().map(Value::to_text).collect(),
        _ => Vec::new(),
    }
}

pub(crate) async fn introspect(
    connector: &DuckDbConnector,
    options: &IntrospectOptions,
) -> Result<Schema, ConnectorError> {
    let request = ExecRequest {
        limits: Limits { timeout: options.timeout, max_rows: usize::MAX, ..Limits::default() },
        ..ExecRequest::default()
    };
    let wanted = |schema: &str| options.schemas.is_empty() || options.schemas.iter().any(|s| s == schema);
    let tables = connector.execute(TABLES, &request).await?;
    let columns = connector.execute(COLUMNS, &request).await?;
    let keys = connector.execute(KEYS, &request).await?;

    let rows = CatalogRows {
        tables: tables
            .rows
            .iter()
            .filter(|r| wanted(&text(&r[0])))
            .map(|r| TableRow {
                schema: text(&r[0]),
                name: text(&r[1]),
                kind: if text(&r[2]) == "view" { TableKind::View } else { TableKind::Table },
                comment: optional_text(&r[3]),
                row_estimate: match r[4] {
                    Value::Int(n) => u64::try_from(n).ok(),
                    _ => None,
                },
            })
            .collect(),
        columns: columns
            .rows
            .iter()
            .map(|r| ColumnRow {
                schema: text(&r[0]),
                table: text(&r[1]),
                name: text(&r[2]),
                native_type: text(&r[3]),
                nullable: r[4] == Value::Bool(true),
                comment: optional_text(&r[5]),
            })
            .collect(),
        keys: keys
            .rows
            .iter()
            .map(|r| {
                let (schema, table, columns) = (text(&r[0]), text(&r[1]), texts(&r[3]));
                if text(&r[2]) == "PRIMARY KEY" {
                    KeyRow::Primary { schema, table, columns }
                } else {
                    // DuckDB only allows foreign keys within one schema.
                    let key = ForeignKey {
                        columns,
                        referenced_schema: schema.clone(),
                        referenced_table: text(&r[4]),
                        referenced_columns: texts(&r[5]),
                    };
                    KeyRow::Foreign { schema, table, key }
                }
            })
            .collect(),
    };
    let mut schema = catalog::assemble(rows);
    catalog::sample_values(connector as &dyn Connector, &mut schema, options).await;
    Ok(schema)
}
