use kurobe_connector::{ConnectorError, IntrospectOptions, Schema, catalog};

use crate::DuckDbConnector;

const TABLES: &str = "SELECT schema_name, table_name, 'table', comment, estimated_size FROM duckdb_tables() \
     WHERE NOT internal AND NOT temporary \
     UNION ALL SELECT schema_name, view_name, 'view', comment, NULL FROM duckdb_views() \
     WHERE NOT internal AND NOT temporary";
const COLUMNS: &str = "SELECT schema_name, table_name, column_name, data_type, is_nullable, comment \
     FROM duckdb_columns() WHERE NOT internal ORDER BY schema_name, table_name, column_index";
// DuckDB only allows foreign keys within one schema, so the referenced schema is the table's.
const KEYS: &str = "SELECT schema_name, table_name, constraint_type = 'PRIMARY KEY', constraint_column_names, \
     schema_name, referenced_table, referenced_column_names FROM duckdb_constraints() \
     WHERE constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')";

pub(crate) async fn introspect(
    connector: &DuckDbConnector,
    options: &IntrospectOptions,
) -> Result<Schema, ConnectorError> {
    catalog::introspect_with(connector, TABLES, COLUMNS, KEYS, options).await
}
