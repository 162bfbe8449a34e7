//! The dataset's schema, mirroring `shared/bench/retail_dataset.sql` column for column, and
//! the DDL that creates it in each supported dialect.
//!
//! The schema is static data rather than SQL text so that every loader (DuckDB, Postgres,
//! Trino) and the tests can walk it, and so the descriptions travel into the databases as
//! comments: introspection then shows the same documentation the semantic layer does.

use std::fmt::{self, Write as _};
use std::str::FromStr;

/// One table of the dataset.
///
/// The declaration order is the load order: every table comes after the tables its foreign
/// keys point to, so loading in this order never violates a constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// Sales regions.
    Regions,
    /// Stores, each in one region.
    Stores,
    /// Customers.
    Customers,
    /// The product catalogue.
    Products,
    /// Order headers.
    Orders,
    /// Order lines.
    OrderItems,
}

impl Table {
    /// Every table, parents before children.
    pub const ALL: [Self; 6] =
        [Self::Regions, Self::Stores, Self::Customers, Self::Products, Self::Orders, Self::OrderItems];

    /// Returns the table's SQL name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        self.def().name
    }

    /// Returns the table's full definition.
    #[must_use]
    pub const fn def(self) -> &'static TableDef {
        &TABLES[self as usize]
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Table {
    type Err = UnknownTable;

    /// Parses a table by its SQL name, e.g. `order_items`, so a CLI can take table names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|t| t.name() == s).ok_or_else(|| UnknownTable(s.to_owned()))
    }
}

/// The error returned when a name is not one of the dataset's tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTable(pub String);

impl fmt::Display for UnknownTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown demo table {:?}", self.0)
    }
}

impl std::error::Error for UnknownTable {}

/// A column's type, independent of any SQL dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogicalType {
    /// A 16-bit signed integer.
    Int16,
    /// A 32-bit signed integer.
    Int32,
    /// A 64-bit signed integer.
    Int64,
    /// Variable-length text.
    Text,
    /// A calendar date without time zone.
    Date,
    /// An exact decimal; values are generated as integer hundredths (cents).
    Decimal {
        /// Total number of digits.
        precision: u8,
        /// Digits after the decimal point.
        scale: u8,
    },
}

/// The money type of the dataset: `numeric(10,2)`.
const MONEY: LogicalType = LogicalType::Decimal { precision: 10, scale: 2 };

/// One column of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnDef {
    /// The column's SQL name.
    pub name: &'static str,
    /// The column's type.
    pub ty: LogicalType,
    /// Whether the column admits NULL (never, in this dataset, but loaders should not assume).
    pub nullable: bool,
    /// One sentence describing the column, emitted as its SQL comment.
    pub description: &'static str,
}

/// A single-column foreign key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForeignKey {
    /// The referencing column of this table.
    pub column: &'static str,
    /// The referenced table.
    pub references_table: Table,
    /// The referenced column (always that table's primary key).
    pub references_column: &'static str,
}

/// One table's definition: columns, keys and documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableDef {
    /// Which table this is.
    pub table: Table,
    /// The table's SQL name.
    pub name: &'static str,
    /// One sentence describing the table, emitted as its SQL comment.
    pub description: &'static str,
    /// The columns, in CSV and row order.
    pub columns: &'static [ColumnDef],
    /// The primary-key column (every table has a single-column key).
    pub primary_key: &'static str,
    /// Columns carrying a single-column UNIQUE constraint.
    pub unique: &'static [&'static str],
    /// Foreign keys, each to another table's primary key.
    pub foreign_keys: &'static [ForeignKey],
    /// Columns the benchmark indexes (see [`index_ddl`]).
    pub indexes: &'static [&'static str],
}

impl TableDef {
    /// Returns the column called `name`, if any.
    #[must_use]
    pub fn column(&self, name: &str) -> Option<&'static ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Shorthand for the non-null columns every table is made of.
const fn col(name: &'static str, ty: LogicalType, description: &'static str) -> ColumnDef {
    ColumnDef { name, ty, nullable: false, description }
}

/// Shorthand for a foreign key to `table`'s primary key of the same column name.
const fn fk(column: &'static str, references_table: Table) -> ForeignKey {
    ForeignKey { column, references_table, references_column: column }
}

/// Indexed by `Table as usize`, which [`Table::def`] relies on (checked by a test).
static TABLES: [TableDef; 6] = {
    use LogicalType::{Date, Int16, Int32, Int64, Text};
    [
        TableDef {
            table: Table::Regions,
            name: "regions",
            description: "Sales regions that group the stores geographically.",
            columns: &[
                col("region_id", Int32, "Identifier of the region."),
                col("name", Text, "Display name of the region, unique."),
            ],
            primary_key: "region_id",
            unique: &["name"],
            foreign_keys: &[],
            indexes: &[],
        },
        TableDef {
            table: Table::Stores,
            name: "stores",
            description: "Stores where orders are placed, physical or online, each in one region.",
            columns: &[
                col("store_id", Int32, "Identifier of the store."),
                col("name", Text, "Display name of the store."),
                col("region_id", Int32, "Region the store belongs to."),
                col("store_type", Text, "Kind of store: flagship, mall, outlet or online."),
                col("opened_on", Date, "Date the store opened."),
            ],
            primary_key: "store_id",
            unique: &[],
            foreign_keys: &[fk("region_id", Table::Regions)],
            indexes: &["region_id"],
        },
        TableDef {
            table: Table::Customers,
            name: "customers",
            description: "Customers who place orders, one row per customer account.",
            columns: &[
                col("customer_id", Int32, "Identifier of the customer."),
                col("full_name", Text, "Display name of the customer."),
                col("email", Text, "Email address of the customer."),
                col("segment", Text, "Customer segment: consumer, corporate or home_office."),
                col("signup_date", Date, "Date the customer created an account."),
            ],
            primary_key: "customer_id",
            unique: &[],
            foreign_keys: &[],
            indexes: &[],
        },
        TableDef {
            table: Table::Products,
            name: "products",
            description: "Product catalogue with category, brand and list price.",
            columns: &[
                col("product_id", Int32, "Identifier of the product."),
                col("name", Text, "Display name of the product, unique."),
                col("category", Text, "Product category, one of twelve departments."),
                col("brand", Text, "Brand that makes the product."),
                col("list_price", MONEY, "Catalogue price of one unit before any discount."),
            ],
            primary_key: "product_id",
            unique: &["name"],
            foreign_keys: &[],
            indexes: &[],
        },
        TableDef {
            table: Table::Orders,
            name: "orders",
            description: "Order headers: who ordered, in which store, when, and the order status.",
            columns: &[
                col("order_id", Int64, "Identifier of the order, increasing with the order date."),
                col("customer_id", Int32, "Customer who placed the order."),
                col("store_id", Int32, "Store where the order was placed."),
                col("order_date", Date, "Date the order was placed."),
                col("status", Text, "Fulfilment status: completed, shipped, processing, cancelled or returned."),
            ],
            primary_key: "order_id",
            unique: &[],
            foreign_keys: &[fk("customer_id", Table::Customers), fk("store_id", Table::Stores)],
            indexes: &["customer_id", "store_id", "order_date"],
        },
        TableDef {
            table: Table::OrderItems,
            name: "order_items",
            description: "Order lines: one product, quantity and unit price per line of an order.",
            columns: &[
                col("order_item_id", Int64, "Identifier of the order line."),
                col("order_id", Int64, "Order the line belongs to."),
                col("line_no", Int16, "Position of the line within its order, starting at 1."),
                col("product_id", Int32, "Product sold on this line."),
                col("quantity", Int32, "Number of units sold."),
                col("unit_price", MONEY, "Price charged per unit after the line discount."),
            ],
            primary_key: "order_item_id",
            unique: &[],
            foreign_keys: &[fk("order_id", Table::Orders), fk("product_id", Table::Products)],
            indexes: &["order_id", "product_id"],
        },
    ]
};

/// Returns every table definition, parents before children (the safe load order).
#[must_use]
pub fn tables() -> &'static [TableDef] {
    &TABLES
}

/// The SQL dialects [`ddl`] can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// PostgreSQL 13 or later.
    Postgres,
    /// DuckDB 0.10 or later (`COMMENT ON` arrived in 0.10).
    DuckDb,
}

impl Dialect {
    /// Returns the dialect's spelling of `ty`.
    ///
    /// DuckDB spells text `VARCHAR` (its `TEXT` is an alias), so introspection there reports
    /// the same name this function emits.
    #[must_use]
    pub fn type_name(self, ty: LogicalType) -> String {
        let name = match (self, ty) {
            (_, LogicalType::Int16) => "SMALLINT",
            (_, LogicalType::Int32) => "INTEGER",
            (_, LogicalType::Int64) => "BIGINT",
            (Self::Postgres, LogicalType::Text) => "TEXT",
            (Self::DuckDb, LogicalType::Text) => "VARCHAR",
            (_, LogicalType::Date) => "DATE",
            (Self::Postgres, LogicalType::Decimal { precision, scale }) => {
                return format!("NUMERIC({precision},{scale})");
            }
            (Self::DuckDb, LogicalType::Decimal { precision, scale }) => {
                return format!("DECIMAL({precision},{scale})");
            }
        };
        name.to_owned()
    }
}

/// Returns `ident` as a double-quoted SQL identifier, valid in both dialects.
///
/// Only the schema name comes from the caller; table and column names are constants of
/// this crate and are written bare.
fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Returns `text` as a single-quoted SQL string literal.
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Returns the script that creates `schema` (if missing) and the six tables in it, with
/// primary keys, unique constraints, foreign keys and a comment on every table and column.
///
/// Tables are created parent-first with plain `CREATE TABLE`, so running the script over an
/// existing dataset fails loudly instead of silently mixing two generations; loaders drop
/// the schema first when they mean to replace it. Foreign keys are declared in DuckDB too,
/// even though DuckDB enforces them while loading (rows must arrive parent-first, which
/// [`tables`] order guarantees), because schema introspection reads joins from them.
#[must_use]
pub fn ddl(dialect: Dialect, schema: &str) -> String {
    let schema = quote_ident(schema);
    let mut sql = format!("CREATE SCHEMA IF NOT EXISTS {schema};\n");
    for table in tables() {
        // `write!` into a String cannot fail; the results are ignored for that reason.
        let _ = writeln!(sql, "\nCREATE TABLE {schema}.{} (", table.name);
        let mut lines: Vec<String> = table
            .columns
            .iter()
            .map(|c| {
                let null = if c.nullable { "" } else { " NOT NULL" };
                format!("    {} {}{null}", c.name, dialect.type_name(c.ty))
            })
            .collect();
        lines.push(format!("    PRIMARY KEY ({})", table.primary_key));
        lines.extend(table.unique.iter().map(|c| format!("    UNIQUE ({c})")));
        lines.extend(table.foreign_keys.iter().map(|fk| {
            format!(
                "    FOREIGN KEY ({}) REFERENCES {schema}.{} ({})",
                fk.column,
                fk.references_table.name(),
                fk.references_column
            )
        }));
        sql.push_str(&lines.join(",\n"));
        sql.push_str("\n);\n");
        let _ = writeln!(sql, "COMMENT ON TABLE {schema}.{} IS {};", table.name, quote_literal(table.description));
        for c in table.columns {
            let _ = writeln!(
                sql,
                "COMMENT ON COLUMN {schema}.{}.{} IS {};",
                table.name,
                c.name,
                quote_literal(c.description)
            );
        }
    }
    sql
}

/// Returns the secondary indexes of the benchmark script, to run **after** loading (building
/// an index once is much cheaper than maintaining it row by row).
///
/// Postgres gets the script's indexes on foreign keys and `orders.order_date`. DuckDB gets
/// none: its scans prune with per-row-group min/max statistics, and an ART index would only
/// cost memory and load time there. Every statement is idempotent (`IF NOT EXISTS`).
#[must_use]
pub fn index_ddl(dialect: Dialect, schema: &str) -> String {
    if dialect == Dialect::DuckDb {
        return String::new();
    }
    let schema = quote_ident(schema);
    let mut sql = String::new();
    for table in tables() {
        for column in table.indexes {
            let _ = writeln!(
                sql,
                "CREATE INDEX IF NOT EXISTS {table}_{column}_idx ON {schema}.{table} ({column});",
                table = table.name
            );
        }
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_order_matches_enum_and_parents_come_first() {
        for (i, def) in tables().iter().enumerate() {
            assert_eq!(def.table as usize, i);
            assert_eq!(Table::ALL[i], def.table);
            assert_eq!(def.name.parse::<Table>(), Ok(def.table));
            for fk in def.foreign_keys {
                assert!(fk.references_table < def.table, "{} before its parent", def.name);
                assert!(def.column(fk.column).is_some());
                let parent = fk.references_table.def();
                assert_eq!(parent.primary_key, fk.references_column);
                assert_eq!(parent.column(fk.references_column).map(|c| c.ty), def.column(fk.column).map(|c| c.ty));
            }
            assert!(def.column(def.primary_key).is_some());
            assert!(def.unique.iter().chain(def.indexes).all(|c| def.column(c).is_some()));
        }
        assert!("nope".parse::<Table>().is_err());
    }

    #[test]
    fn descriptions_are_single_sentences() {
        for def in tables() {
            let texts = std::iter::once(def.description).chain(def.columns.iter().map(|c| c.description));
            for text in texts {
                assert!(text.ends_with('.') && !text.trim_end_matches('.').contains(". "), "{text}");
                assert!(!text.contains('\''), "keep comments free of quotes: {text}");
            }
        }
    }

    #[test]
    fn ddl_covers_every_table_in_both_dialects() {
        for dialect in [Dialect::Postgres, Dialect::DuckDb] {
            let sql = ddl(dialect, "retail");
            assert!(sql.starts_with("CREATE SCHEMA IF NOT EXISTS \"retail\";"));
            for def in tables() {
                assert!(sql.contains(&format!("CREATE TABLE \"retail\".{} (", def.name)));
                assert!(sql.contains(&format!("COMMENT ON TABLE \"retail\".{} IS", def.name)));
                for c in def.columns {
                    assert!(sql.contains(&format!("COMMENT ON COLUMN \"retail\".{}.{} IS", def.name, c.name)));
                }
            }
            assert!(sql.contains("FOREIGN KEY (product_id) REFERENCES \"retail\".products (product_id)"));
            assert_eq!(sql.matches("PRIMARY KEY").count(), 6);
            assert_eq!(sql.matches("FOREIGN KEY").count(), 5);
        }
        let pg = ddl(Dialect::Postgres, "retail");
        assert!(pg.contains("list_price NUMERIC(10,2) NOT NULL"));
        assert!(pg.contains("line_no SMALLINT NOT NULL"));
        let duck = ddl(Dialect::DuckDb, "retail");
        assert!(duck.contains("list_price DECIMAL(10,2) NOT NULL"));
        assert!(duck.contains("name VARCHAR NOT NULL"));
    }

    #[test]
    fn schema_names_are_quoted() {
        let sql = ddl(Dialect::Postgres, "a\"b");
        assert!(sql.starts_with("CREATE SCHEMA IF NOT EXISTS \"a\"\"b\";"));
        assert_eq!(quote_literal("it's"), "'it''s'");
    }

    #[test]
    fn indexes_only_for_postgres() {
        assert!(index_ddl(Dialect::DuckDb, "retail").is_empty());
        let pg = index_ddl(Dialect::Postgres, "retail");
        assert_eq!(pg.lines().count(), 6);
        assert!(pg.contains("CREATE INDEX IF NOT EXISTS orders_order_date_idx ON \"retail\".orders (order_date);"));
    }
}
