use kurobe_connector::{ConnectorError, IntrospectOptions, Schema, catalog};

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
        "SELECT n.nspname::text, c.relname::text, con.contype = 'p', {}, rn.nspname::text, rc.relname::text, {} \
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
    catalog::introspect_with(connector, &tables_sql(), &columns_sql(), &keys_sql(), options).await
}
