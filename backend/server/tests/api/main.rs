//! HTTP tests of the whole app against a real Postgres (one fresh database per test) and
//! Redis, driven through the router without sockets. One binary for all, to link once.

// Test helpers outside #[test] functions unwrap too: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod support;

mod ask;
mod auth;
mod bad_input;
mod datasources;
mod demo;
mod engines;
mod faults;
mod health;
mod isolation;
mod jobs;
mod limits;
mod load;
mod mcp;
mod members_and_keys;
mod policies;
mod queries;
mod roles;
mod scale_out;
mod security;
mod shutdown;
mod telemetry;
