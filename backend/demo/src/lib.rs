//! Kurobe's demo dataset: a deterministic, realistic retail database (regions, stores,
//! customers, products, orders and order lines) at any scale.
//!
//! It reproduces the schema and statistical shape of the benchmark script
//! `shared/bench/retail_dataset.sql` — the same tables, columns, types, keys, skews and
//! seasonality — so demos, tests and benchmarks can run on the same data in DuckDB,
//! Postgres and Trino. The crate holds no database driver: it describes the schema
//! ([`tables`], [`ddl`], [`index_ddl`]) and streams rows ([`rows`], [`write_csv`]); loaders
//! elsewhere move them into each engine.
//!
//! Output is a pure function of the [`Table`] and the [`ScaleFactor`]: byte-identical on
//! every run, platform and release. Rows stream in primary-key order with constant memory,
//! so scale 100 (100 million orders) needs no more RAM than scale 0.001.
//!
//! ```
//! use kurobe_demo::{ScaleFactor, Table, write_csv};
//!
//! let scale = ScaleFactor::new(0.001)?;
//! let mut csv = Vec::new();
//! let rows = write_csv(Table::Orders, scale, &mut csv)?;
//! assert_eq!(rows, 1_000);
//! assert!(csv.starts_with(b"order_id,customer_id,store_id,order_date,status\r\n1,"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod calendar;
mod csv;
mod generate;
mod prng;
mod scale;
mod schema;

pub use csv::write_csv;
pub use generate::{DemoValue, Rows, rows};
pub use scale::{InvalidScale, ScaleFactor};
pub use schema::{ColumnDef, Dialect, ForeignKey, LogicalType, Table, TableDef, UnknownTable, ddl, index_ddl, tables};
