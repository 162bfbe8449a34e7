use kurobe_connector::{
    Connector, ConnectorError, ForeignKey, IntrospectOptions, Schema,
    catalog::{self, CatalogRows, ColumnRow, KeyRow, TableRow, text, texts},
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

pub(crate) async fn introspect(
    connector: &PostgresConnector,
    options: &IntrospectOptions,
) -> Result<Schema, ConnectorError> {
    let request = catalog::catalog_request(options);
    let tables = connector.execute(&tables_sql(), &request).await?;
    let columns = connector.execute(&columns_sql(), &request).await?;
    let keys = connector.execute(&keys_sql(), &request).await?;
    let rows = CatalogRows {
        tables: tables.rows.iter().map(|r| TableRow::from_values(r)).filter(|t| options.wants(&t.schema)).collect(),
        columns: columns.rows.iter().map(|r| ColumnRow::from_values(r)).collect(),
        keys: keys
            .rows
            .iter()
            .map(|r| {
                let (schema, table, columns) = (text(r.first()), text(r.get(1)), texts(r.get(3)));
                if text(r.get(2)) == "p" {
                    KeyRow::Primary { schema, table, columns }
                } else {
                    let key = ForeignKey {
                        columns,
                        referenced_schema: text(r.get(4)),
                        referenced_table: text(r.get(5)),
                        referenced_columns: texts(r.get(6)),
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
