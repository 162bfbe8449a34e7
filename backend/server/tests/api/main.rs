//! HTTP tests of the whole app against a real Postgres (one fresh database per test) and
//! Redis, driven through the router without sockets. One binary for all, to link once.

mod support;

mod auth;
mod bad_input;
mod health;
mod isolation;
mod members_and_keys;
mod roles;
