use kurobe_connector::{
    Connector, ConnectorError, ForeignKey, IntrospectOptions, Schema,
    catalog::{self, CatalogRows, ColumnRow, KeyRow, TableRow, text, texts},
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

pub(crate) async fn introspect(
    connector: &DuckDbConnector,
    options: &IntrospectOptions,
) -> Result<Schema, ConnectorError> {
    let request = catalog::catalog_request(options);
    let tables = connector.execute(TABLES, &request).await?;
    let columns = connector.execute(COLUMNS, &request).await?;
    let keys = connector.execute(KEYS, &request).await?;

    let rows = CatalogRows {
        tables: tables.rows.iter().map(|r| TableRow::from_values(r)).filter(|t| options.wants(&t.schema)).collect(),
        columns: columns.rows.iter().map(|r| ColumnRow::from_values(r)).collect(),
        keys: keys
            .rows
            .iter()
            .map(|r| {
                let (schema, table, columns) = (text(r.first()), text(r.get(1)), texts(r.get(3)));
                if text(r.get(2)) == "PRIMARY KEY" {
                    KeyRow::Primary { schema, table, columns }
                } else {
                    // DuckDB only allows foreign keys within one schema.
                    let key = ForeignKey {
                        columns,
                        referenced_schema: schema.clone(),
                        referenced_table: text(r.get(4)),
                        referenced_columns: texts(r.get(5)),
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
