//! The interface between Kurobe and a warehouse. Everything above the connectors (the
//! guard, the cache, the engines, the HTTP API) speaks only these types, so Postgres,
//! DuckDB and Trino are interchangeable behind [`Connector`].

pub mod catalog;
mod connector;
mod error;
mod request;
mod result;
mod schema;
mod type_names;
mod value;

pub use connector::{Connector, Dialect, ServerInfo};
pub use error::ConnectorError;
pub use request::{ExecRequest, IntrospectOptions, Limits, LimitsError};
pub use result::{Column, DataType, QueryResult, ResultBuilder, RowBatch, RowSender, STREAM_BATCH};
pub use schema::{ColumnInfo, ForeignKey, Schema, Table, TableKind};
pub use value::Value;
