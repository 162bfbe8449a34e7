use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use kurobe_core::AuditOutcome;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: Uuid,
    /// Position in the log; strictly increasing, used as the pagination cursor.
    pub seq: i64,
    pub created_at: DateTime<Utc>,
    pub actor_user_id: Option<Uuid>,
    pub actor_api_key_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(example = "api_key.create"))]
    pub action: String,
    pub target: Option<String>,
    pub outcome: AuditOutcome,
    pub error_code: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    /// Pass as `before` to fetch the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}
