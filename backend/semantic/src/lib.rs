//! Kurobe's semantic layer and its offline engine.
//!
//! - [`model`]: what a data source's tables mean (entities, dimensions, measures, metrics,
//!   joins), read from `config/semantic/<datasource>.yaml` or drafted from introspection.
//! - [`query`] and [`compile()`]: a semantic query (measures, dimensions, filters, time
//!   grain, order, limit) and its SQL for Postgres, DuckDB and Trino, built as a syntax
//!   tree so that no name or value is ever spliced into SQL text.
//! - [`rule_based`]: the offline engine from English questions to semantic queries.
//! - [`eval`]: execution accuracy of any engine over question sets with gold SQL.

mod compile;
pub mod eval;
pub mod model;
pub mod query;
pub mod rule_based;
mod words;

pub use compile::{ColumnRole, CompileError, CompiledQuery, OutputColumn, compile};
pub use model::{SemanticError, SemanticModel};
pub use query::SemanticQuery;
pub use rule_based::{Answer, Example, Refusal, RuleBased};
