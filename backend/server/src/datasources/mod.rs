//! Data sources at run time: turning a stored data source into a live connector (once per
//! configuration version), its introspected schema (once per generation), and the periodic
//! health check of every source.

mod build;
mod health;
mod manage;
pub mod policies;
mod registry;
pub mod schemas;
pub mod semantic;

pub use build::{DataSourceError, check_limits, context_aad, open_credentials, parse_limits, validate_config};
pub use health::{check_every_source, check_health, run_health_checks};
pub use manage::{NewSource, create, name_taken, seal};
pub use registry::DataSources;
