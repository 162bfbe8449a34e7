use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The engine registry as the server runs it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnginesStatus {
    /// 1 at start, one more for each reload that took effect.
    pub version: u64,
    pub loaded_at: DateTime<Utc>,
    /// The engines file watched for changes; absent when the server runs the built-in
    /// offline registry, and for anyone but the server's operators.
    pub file: Option<String>,
    /// Reloads refused since start (the running registry stayed each time).
    pub reload_failures: u64,
    /// Why the last reload was refused; shown to the server's operators only.
    pub last_error: Option<ReloadError>,
    pub sections: Vec<EngineSection>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReloadError {
    pub message: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EngineSection {
    /// `text_to_sql`, `visualization` or `semantic`.
    pub kind: String,
    pub default: String,
    pub fallback: Vec<String>,
    pub engines: Vec<EngineInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EngineInfo {
    pub name: String,
    /// `rule_based`, `openai`, `anthropic` or `openai_compatible`.
    pub provider: String,
    pub model: Option<String>,
    /// False when the engine cannot run here now, e.g. its API key variable is unset.
    pub available: bool,
    pub unavailable_reason: Option<String>,
}

/// What a reload did.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReloadResult {
    /// `applied` or `unchanged`; a refused file answers with the `engines_invalid` error.
    pub outcome: String,
    pub status: EnginesStatus,
}
