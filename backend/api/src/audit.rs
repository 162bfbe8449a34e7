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

/// Filters of the audit log, as query parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// An exact action (`api_key.create`) or a family ending in a dot (`api_key.`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<AuditOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_user_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// Rows older than this `seq` (the `next_before` of the previous page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    /// 1 to 500; 50 by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}
