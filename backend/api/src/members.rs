use chrono::{DateTime, Utc};
use kurobe_core::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
    /// Values row policies read as `{{user.attributes.<name>}}`, e.g. a region.
    pub attributes: std::collections::BTreeMap<String, String>,
}

/// Adds a member. An existing account is added as it is; for a new email an account is
/// created, which needs an initial `password`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    pub email: String,
    pub role: Role,
    pub password: Option<String>,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateMemberRequest {
    pub role: Option<Role>,
    /// Replaces the member's attributes.
    pub attributes: Option<std::collections::BTreeMap<String, String>>,
}
