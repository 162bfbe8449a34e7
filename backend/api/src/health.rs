use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    /// `true` when every required dependency answered.
    pub ready: bool,
    pub postgres: DependencyStatus,
    pub redis: DependencyStatus,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DependencyStatus {
    /// `up`, `down` or `disabled` (not configured, and not required).
    pub status: String,
    pub latency_ms: Option<f64>,
    pub error: Option<String>,
}
