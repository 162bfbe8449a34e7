//! Trino through `trino-rust-client`, the maintained line of prusto: catalog and schema
//! selection, basic and JWT authentication, paged results, and cancellation that stops the
//! query on the coordinator — both by the client (`DELETE` when a result stream is dropped)
//! and by the server (`query_max_run_time` set to the request's timeout).

mod conn;
mod introspect;
mod types;

pub use conn::{TrinoAuth, TrinoConfig, TrinoConnector};
