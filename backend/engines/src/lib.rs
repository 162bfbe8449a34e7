//! The engine registry. `config/engines.yaml` names the engines of each kind — text-to-SQL,
//! visualization, semantic — with a default and a fallback chain. The file is parsed and
//! validated whole into a [`Registry`]; [`Engines`] holds the current one behind an atomic
//! pointer, so a reload either replaces it entirely or leaves it untouched, and a request
//! keeps the registry it started with until it finishes.

mod config;
mod engines;
pub mod langfuse;
pub mod linking;
pub mod llm;
mod offline;
pub mod prompt;
#[cfg(feature = "testing")]
pub mod testing;
pub mod text_to_sql;
pub mod visualization;
mod watch;

pub use config::{ConfigError, EngineSpec, Kind, Provider, ProviderConfig, Registry, Section};
pub use engines::{ChartChooser, Engines, Loaded, ReloadFailure, ReloadOutcome};
pub use offline::OfflineTextToSql;
pub use watch::watch_file;
