use kurobe_connector::{
    Connector, ConnectorError, IntrospectOptions, Schema,
    catalog::{self, CatalogRows, ColumnRow, TableRow, quote_ident, text},
};

use crate::TrinoConnector;

/// Trino keeps no primary or foreign keys, and no row estimates without `SHOW STATS` per
/// table (too slow for a catalog walk); tables, views, columns and comments it has.
pub(crate) async fn introspect(
    connector: &TrinoConnector,
    options: &IntrospectOptions,
) -> Result<Schema, ConnectorError> {
    let request = catalog::catalog_request(options);
    let catalog = quote_ident(connector.catalog());
    let tables = connector
        .execute(
            &format!("SELECT table_schema, table_name, table_type FROM {catalog}.information_schema.tables"),
            &request,
        )
        .await?;
    let columns = connector
        .execute(
            &format!(
                "SELECT table_schema, table_name, column_name, data_type, is_nullable \
                 FROM {catalog}.information_schema.columns ORDER BY table_schema, table_name, ordinal_position"
            ),
            &request,
        )
        .await?;
    // Comments live in system.metadata, filtered to this catalog by a bound literal-free
    // comparison against the catalog's own name as Trino reports it.
    let comments = connector
        .execute(
            "SELECT schema_name, table_name, comment FROM system.metadata.table_comments \
             WHERE catalog_name = current_catalog AND comment IS NOT NULL",
            &request,
        )
        .await
        .map(|r| r.rows)
        .unwrap_or_default();
    let comment_of = |schema: &str, table: &str| {
        comments.iter().find(|r| text(r.first()) == schema && text(r.get(1)) == table).map(|r| text(r.get(2)))
    };
    let rows = CatalogRows {
        tables: tables
            .rows
            .iter()
            .map(|r| TableRow::from_values(r))
            .filter(|t| t.schema != "information_schema" && options.wants(&t.schema))
            .map(|t| TableRow { comment: comment_of(&t.schema, &t.name), ..t })
            .collect(),
        columns: columns.rows.iter().map(|r| ColumnRow::from_values(r)).collect(),
        keys: Vec::new(),
    };
    let mut schema = catalog::assemble(rows);
    catalog::sample_values(connector as &dyn Connector, &mut schema, options).await;
    Ok(schema)
}
