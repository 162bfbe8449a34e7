use kurobe_connector::{
    Connector, ConnectorError, ExecRequest, IntrospectOptions, Limits, Schema, TableKind, Value,
    catalog::{self, CatalogRows, ColumnRow, TableRow, quote_ident},
};

use crate::TrinoConnector;

fn text(value: &Value) -> String {
    value.to_text()
}

/// Trino keeps no primary or foreign keys, and no row estimates without `SHOW STATS` per
/// table (too slow for a catalog walk); tables, views, columns and comments it has.
pub(crate) async fn introspect(
    connector: &TrinoConnector,
    options: &IntrospectOptions,
) -> Result<Schema, ConnectorError> {
    let request = ExecRequest {
        limits: Limits { timeout: options.timeout, max_rows: usize::MAX, ..Limits::default() },
        ..ExecRequest::default()
    };
    let catalog = quote_ident(connector.catalog());
    let wanted = |schema: &str| {
        schema != "information_schema" && (options.schemas.is_empty() || options.schemas.iter().any(|s| s == schema))
    };
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
        comments.iter().find(|r| text(&r[0]) == schema && text(&r[1]) == table).map(|r| text(&r[2]))
    };
    let rows = CatalogRows {
        tables: tables
            .rows
            .iter()
            .filter(|r| wanted(&text(&r[0])))
            .map(|r| TableRow {
                comment: comment_of(&text(&r[0]), &text(&r[1])),
                schema: text(&r[0]),
                name: text(&r[1]),
                kind: if text(&r[2]) == "VIEW" { TableKind::View } else { TableKind::Table },
                row_estimate: None,
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
                nullable: text(&r[4]) == "YES",
                comment: None,
            })
            .collect(),
        keys: Vec::new(),
    };
    let mut schema = catalog::assemble(rows);
    catalog::sample_values(connector as &dyn Connector, &mut schema, options).await;
    Ok(schema)
}
