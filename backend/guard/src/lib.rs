//! The SQL guard. Every statement that reaches a connector passes through [`check`], which
//! is built on allowlists, because denylists of names keep being bypassed:
//!
//! - the text must parse in the connector's dialect, or it is refused (fail closed);
//! - exactly one statement, a query, read-only all the way down: no data-modifying CTE,
//!   no `SELECT INTO`, no locking clause;
//! - every relation is a table or view introspection knows, or a CTE of the query (table
//!   functions such as `read_csv(...)` or `dblink(...)` are relations to the parser, so this
//!   is the rule that stops them);
//! - every function is on the dialect's allowlist of analytical functions;
//! - row policies are injected wherever their table appears ([`RowPolicy`]);
//! - the result is capped with `LIMIT`;
//! - what runs is rendered from the checked syntax tree, never the original text.

mod functions;
mod guard;
mod policy;

pub use guard::{Guarded, Refusal, check, check_with_policies};
pub use policy::{RowPolicy, validate as validate_policy};
