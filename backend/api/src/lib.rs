//! The wire format of Kurobe's HTTP API: every request and response body, and the catalogue
//! of stable error codes. The server serialises these types and the Rust SDK deserialises
//! the very same ones, so the two cannot drift apart.
//!
//! Request bodies reject unknown fields: a misspelt field is a client bug worth a 400, not a
//! silently ignored setting.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod chart;
pub mod datasources;
pub mod engines;
pub mod error;
pub mod health;
pub mod jobs;
pub mod members;
pub mod organisation;
pub mod queries;

pub use error::{ErrorBody, ErrorCode, ErrorDetail, ErrorFamily};
pub use kurobe_core::{Permission, Role};
