use kurobe_connector::{
    Connector, ConnectorError, ExecRequest, ForeignKey, IntrospectOptions, Limits, Schema, TableKind, Value,
    catalog::{self, CatalogRows, ColumnRow, KeyRow, TableRow},
};

use crate::PostgresConnector;

/// Relations the connecting role can read, outside the system schemas and partitions.
const RELATIONS: &str = "c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition \
     AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' \
     AND n.nspname NOT LIKE 'pg\\_temp%' AND has_table_privilege(c.oid, 'SELECT')";

fn tables_sql() -> String {
    format!(
        "SELECT n.nspname::text, c.relname::text, CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END, \
         obj_description(c.oid, 'pg_class'), CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint END \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {RELATIONS}"
    )
}

fn columns_sql() -> String {
    format!(
        "SELECT n.nspname::text, c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), \
         NOT a.attnotnull, col_description(c.oid, a.attnum) \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND {RELATIONS} ORDER BY 1, 2, a.attnum"
    )
}

fn keys_sql() -> String {
    let names = |keys: &str, rel: &str| {
        format!(
            "ARRAY(SELECT a.attname::text FROM unnest(con.{keys}) WITH ORDINALITY AS k(attnum, ord) \
             JOIN pg_attribute a ON a.attrelid = con.{rel} AND a.attnum = k.attnum ORDER BY k.ord)"
        )
    };
    format!(
        "SELECT n.nspname::text, c.relname::text, con.contype::text, {}, rn.nspname::text, rc.relname::text, {} \
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_class rc ON rc.oid = con.confrelid LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace \
         WHERE con.contype IN ('p', 'f') AND {RELATIONS}",
        names("conkey", "conrelid"),
        names("confkey", "confrelid"),
    )
}

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
    connector: &PostgresConnector,
    options: &IntrospectOptions,
) -> Result<Schema, ConnectorError> {
    let request = ExecRequest {
        limits: Limits { timeout: options.timeout, max_rows: usize::MAX, ..Limits::default() },
        ..ExecRequest::default()
    };
    let wanted = |schema: &str| options.schemas.is_empty() || options.schemas.iter().any(|s| s == schema);
    let tables = connector.execute(&tables_sql(), &request).await?;
    let columns = connector.execute(&columns_sql(), &request).await?;
    let keys = connector.execute(&keys_sql(), &request).await?;
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
                if text(&r[2]) == "p" {
                    KeyRow::Primary { schema, table, columns }
                } else {
                    let key = ForeignKey {
                        columns,
                        referenced_schema: text(&r[4]),
                        referenced_table: text(&r[5]),
                        referenced_columns: texts(&r[6]),
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
