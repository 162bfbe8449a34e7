//! Introspection shared by every connector: each reads its own catalog into
//! [`CatalogRows`], and the assembly into a [`Schema`] and the sampling of text values
//! happen here, the same way for all.

use std::{collections::HashMap, time::Instant};

use crate::{
    ColumnInfo, Connector, DataType, ExecRequest, ForeignKey, IntrospectOptions, Limits, Schema, Table, TableKind,
    Value,
};

/// One table or view as the catalog lists it.
#[derive(Debug, Clone)]
pub struct TableRow {
    pub schema: String,
    pub name: String,
    pub kind: TableKind,
    pub comment: Option<String>,
    pub row_estimate: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct ColumnRow {
    pub schema: String,
    pub table: String,
    pub name: String,
    pub native_type: String,
    pub nullable: bool,
    pub comment: Option<String>,
}

#[derive(Debug, Clone)]
pub enum KeyRow {
    Primary { schema: String, table: String, columns: Vec<String> },
    Foreign { schema: String, table: String, key: ForeignKey },
}

#[derive(Debug, Clone, Default)]
pub struct CatalogRows {
    pub tables: Vec<TableRow>,
    /// In ordinal order within each table.
    pub columns: Vec<ColumnRow>,
    pub keys: Vec<KeyRow>,
}

/// A catalog value as text (NULL as empty).
pub fn text(value: Option<&Value>) -> String {
    value.map(Value::to_text).unwrap_or_default()
}

/// A catalog value as text, NULL as `None`.
pub fn optional_text(value: Option<&Value>) -> Option<String> {
    value.filter(|v| **v != Value::Null).map(Value::to_text)
}

/// A catalog array of names.
pub fn texts(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().map(Value::to_text).collect(),
        _ => Vec::new(),
    }
}

impl TableRow {
    /// Reads `(schema, name, kind, comment, row_estimate)`; the last two may be absent, and
    /// a kind of `view` in any case means a view.
    pub fn from_values(row: &[Value]) -> Self {
        TableRow {
            schema: text(row.first()),
            name: text(row.get(1)),
            kind: if text(row.get(2)).eq_ignore_ascii_case("view") { TableKind::View } else { TableKind::Table },
            comment: optional_text(row.get(3)),
            row_estimate: match row.get(4) {
                Some(Value::Int(n)) => u64::try_from(*n).ok(),
                _ => None,
            },
        }
    }
}

impl ColumnRow {
    /// Reads `(schema, table, column, type, nullable, comment)`; nullable is a boolean or
    /// `YES`/`NO`, and the comment may be absent.
    pub fn from_values(row: &[Value]) -> Self {
        ColumnRow {
            schema: text(row.first()),
            table: text(row.get(1)),
            name: text(row.get(2)),
            native_type: text(row.get(3)),
            nullable: matches!(row.get(4), Some(Value::Bool(true))) || text(row.get(4)).eq_ignore_ascii_case("yes"),
            comment: optional_text(row.get(5)),
        }
    }
}

impl KeyRow {
    /// Reads `(schema, table, is_primary, columns, referenced_schema, referenced_table,
    /// referenced_columns)`; the referenced parts are NULL for a primary key.
    pub fn from_values(row: &[Value]) -> Self {
        let (schema, table, columns) = (text(row.first()), text(row.get(1)), texts(row.get(3)));
        if matches!(row.get(2), Some(Value::Bool(true))) {
            KeyRow::Primary { schema, table, columns }
        } else {
            let key = ForeignKey {
                columns,
                referenced_schema: text(row.get(4)),
                referenced_table: text(row.get(5)),
                referenced_columns: texts(row.get(6)),
            };
            KeyRow::Foreign { schema, table, key }
        }
    }
}

/// Introspects through three catalog queries whose rows have the layouts
/// [`TableRow::from_values`], [`ColumnRow::from_values`] and [`KeyRow::from_values`] read,
/// then samples text values.
pub async fn introspect_with(
    connector: &dyn Connector,
    tables_sql: &str,
    columns_sql: &str,
    keys_sql: &str,
    options: &IntrospectOptions,
) -> Result<Schema, crate::ConnectorError> {
    let request = catalog_request(options);
    let tables = connector.execute(tables_sql, &request).await?;
    let columns = connector.execute(columns_sql, &request).await?;
    let keys = connector.execute(keys_sql, &request).await?;
    let rows = CatalogRows {
        tables: tables.rows.iter().map(|r| TableRow::from_values(r)).filter(|t| options.wants(&t.schema)).collect(),
        columns: columns.rows.iter().map(|r| ColumnRow::from_values(r)).collect(),
        keys: keys.rows.iter().map(|r| KeyRow::from_values(r)).collect(),
    };
    let mut schema = assemble(rows);
    sample_values(connector, &mut schema, options).await;
    Ok(schema)
}

/// The request catalog queries run with: no row cap, the introspection's time budget.
pub fn catalog_request(options: &IntrospectOptions) -> ExecRequest {
    ExecRequest {
        limits: Limits { timeout: options.timeout, max_rows: usize::MAX, ..Limits::default() },
        ..ExecRequest::default()
    }
}

/// Quotes an identifier the way all three dialects accept: `"` doubled inside `"…"`.
/// Catalog names come from the warehouse and may contain anything.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A schema-qualified name, each part quoted (`catalog.schema` splits for Trino).
pub fn qualified(schema: &str, table: &str) -> String {
    schema.split('.').chain([table]).map(quote_ident).collect::<Vec<_>>().join(".")
}

/// Builds the schema from catalog rows, sorted by schema and name.
pub fn assemble(rows: CatalogRows) -> Schema {
    let mut tables: Vec<Table> = rows
        .tables
        .into_iter()
        .map(|t| Table {
            schema: t.schema,
            name: t.name,
            kind: t.kind,
            comment: t.comment.filter(|c| !c.is_empty()),
            row_estimate: t.row_estimate,
            columns: Vec::new(),
            primary_key: Vec::new(),
            foreign_keys: Vec::new(),
        })
        .collect();
    tables.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    let index: HashMap<(String, String), usize> =
        tables.iter().enumerate().map(|(i, t)| ((t.schema.clone(), t.name.clone()), i)).collect();
    for column in rows.columns {
        if let Some(&i) = index.get(&(column.schema, column.table)) {
            tables[i].columns.push(ColumnInfo {
                data_type: DataType::from_sql_name(&column.native_type),
                name: column.name,
                native_type: column.native_type,
                nullable: column.nullable,
                comment: column.comment.filter(|c| !c.is_empty()),
                sample_values: None,
            });
        }
    }
    for key in rows.keys {
        match key {
            KeyRow::Primary { schema, table, columns } => {
                if let Some(&i) = index.get(&(schema, table)) {
                    tables[i].primary_key = columns;
                }
            }
            KeyRow::Foreign { schema, table, key } => {
                if let Some(&i) = index.get(&(schema, table)) {
                    tables[i].foreign_keys.push(key);
                }
            }
        }
    }
    Schema { tables }
}

/// Fills `sample_values` of text columns that hold at most `max_sample_values` distinct
/// values among the first `sample_rows` rows. Stops sampling (keeping what it has) when
/// the introspection time budget runs out; a table that fails to sample is skipped.
pub async fn sample_values(connector: &dyn Connector, schema: &mut Schema, options: &IntrospectOptions) {
    if options.max_sample_values == 0 {
        return;
    }
    let started = Instant::now();
    for table in &mut schema.tables {
        let qualified_name = qualified(&table.schema, &table.name);
        for column in table.columns.iter_mut().filter(|c| c.data_type == DataType::Text) {
            let Some(remaining) = options.timeout.checked_sub(started.elapsed()) else { return };
            let sql = format!(
                "SELECT v, count(*) AS n FROM (SELECT {col} AS v FROM {qualified_name} LIMIT {rows}) AS s \
                 WHERE v IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT {limit}",
                col = quote_ident(&column.name),
                rows = options.sample_rows,
                limit = options.max_sample_values + 1,
            );
            let request =
                ExecRequest { limits: Limits { timeout: remaining, ..Limits::default() }, ..ExecRequest::default() };
            match connector.execute(&sql, &request).await {
                Ok(result) if result.rows.len() <= options.max_sample_values => {
                    column.sample_values =
                        Some(result.rows.iter().filter_map(|row| row.first()).map(|v| v.to_text()).collect());
                }
                Ok(_) => {}
                Err(err) => tracing::debug!(table = %qualified_name, column = %column.name, %err, "sampling skipped"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_safely() {
        assert_eq!(quote_ident("orders"), "\"orders\"");
        assert_eq!(quote_ident("we\"ird; DROP"), "\"we\"\"ird; DROP\"");
        assert_eq!(qualified("tpch.tiny", "orders"), "\"tpch\".\"tiny\".\"orders\"");
    }
}
