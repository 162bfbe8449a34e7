//! Postgres through deadpool-postgres: a pool per data source, every query in a read-only
//! transaction with a `statement_timeout`, cancelled on the server with the protocol's
//! cancel request when Kurobe stops waiting, and optionally with caller context settings
//! so the customer's own row-level security applies.

mod conn;
mod execute;
mod introspect;
mod types;

pub use conn::{PostgresConfig, PostgresConnector};
