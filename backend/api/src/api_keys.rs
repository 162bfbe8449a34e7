use chrono::{DateTime, Utc};
use kurobe_core::Permission;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    #[cfg_attr(feature = "openapi", schema(example = "nightly export"))]
    pub name: String,
    /// What the key may do; defaults to everything the creator's role allows.
    /// The key never exceeds the creator's current role.
    pub scopes: Option<Vec<Permission>>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    /// The public part of the key, `kb_<id>`, to recognise it in a list.
    pub prefix: String,
    pub scopes: Vec<Permission>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The response to creating a key: the only time the secret is ever shown.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiKey {
    /// The full key, `kb_<id>_<secret>`. Store it now: Kurobe keeps only a digest.
    pub key: String,
    pub api_key: ApiKey,
}
