//! Integration tests of the semantic layer on real DuckDB databases: one binary, as the
//! project's link times want.

#![allow(clippy::unwrap_used)]

mod common;
mod compile;
mod eval;
