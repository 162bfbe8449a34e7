use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The caller's organisation and its settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganisationDetails {
    pub id: Uuid,
    pub name: String,
    /// Engines the organisation chose by name, per kind (`text_to_sql`, `visualization`,
    /// `semantic`); kinds not listed use the registry's default.
    pub engines: BTreeMap<String, String>,
    /// The engine each kind uses now: the choice if the registry still has it, otherwise
    /// the default.
    pub effective_engines: BTreeMap<String, String>,
    /// Requests per minute allowed to each of the organisation's API keys and signed-in
    /// users; absent means the server's default.
    pub rate_limit_per_minute: Option<u32>,
}

/// Changes the organisation. In `engines`, a name chooses an engine for that kind and
/// `null` returns the kind to the registry's default.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganisationRequest {
    pub name: Option<String>,
    #[serde(default)]
    pub engines: BTreeMap<String, Option<String>>,
    /// 10 to 1,000,000 requests per minute per credential; `0` returns to the server's
    /// default.
    pub rate_limit_per_minute: Option<u32>,
}
