//! Kurobe's server: configuration, authentication, the HTTP routes, and the `app(state)`
//! router shared by the binary and the tests.

pub mod accounts;
pub mod admin;
pub mod ask;
pub mod audit;
pub mod audit_chain;
pub mod auth;
pub mod crypto;
pub mod datasources;
pub mod demo;
pub mod engines;
pub mod evaluation;
pub mod http;
pub mod jobs;
pub mod limits;
pub mod metrics;
pub mod redis_link;
pub mod serve;
pub mod settings;
pub mod state;
pub mod telemetry;
pub mod tenant_cache;

pub use http::{app, openapi};
pub use serve::{build_state, migrate, serve, shutdown_signal};
pub use settings::Settings;
pub use state::AppState;
