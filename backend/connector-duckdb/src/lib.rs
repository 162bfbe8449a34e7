//! DuckDB, embedded. Untrusted SQL runs in a sandbox: no access to files or the network,
//! no extension installs or loads, and a locked configuration. DuckDB calls block, so they
//! run on the blocking pool; a timeout or a dropped future interrupts the query in DuckDB.

mod conn;
mod execute;
mod introspect;
mod types;

pub use conn::{DuckDbConnector, DuckDbSource};
/// The DuckDB crate itself, for trusted code that writes databases (the demo loader).
pub use duckdb;
