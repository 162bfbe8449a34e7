//! What a principal may do. Every route names the one permission it needs, as each
//! variant below says (the security tests hold the server to this list). Any member,
//! whatever the role, may read who they are (`/v1/auth/me`) and their organisation
//! (`GET /v1/organisation`), switch to another organisation of theirs with a session, and
//! speak MCP, whose tools each need their route's permission; sign-up, sign-in and the
//! health checks need no credential at all.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// One thing a principal may do. API-key scopes are written with these names, so a key can
/// be narrowed to, say, `queries:run` alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Permission {
    /// List and read data sources, their schemas and their row policies.
    #[serde(rename = "datasources:read")]
    DatasourcesRead,
    /// Create, change, delete, test and refresh data sources, and set their row policies.
    #[serde(rename = "datasources:manage")]
    DatasourcesManage,
    /// Read the query history and the saved questions.
    #[serde(rename = "queries:read")]
    QueriesRead,
    /// Ask questions and run SQL or semantic queries, re-run and export results, rate
    /// answers, and save, pin or delete saved questions.
    #[serde(rename = "queries:run")]
    QueriesRun,
    /// Create, list and revoke one's own API keys (every member's with `members:manage`).
    #[serde(rename = "api_keys:manage")]
    ApiKeysManage,
    /// List, add, change and remove members, up to one's own role.
    #[serde(rename = "members:manage")]
    MembersManage,
    /// Read the organisation's audit log.
    #[serde(rename = "audit:read")]
    AuditRead,
    /// See and reload the engine registry, choose the organisation's engines, and see, run
    /// and retry its background jobs.
    #[serde(rename = "engines:manage")]
    EnginesManage,
    /// Rename the organisation and set its rate limit.
    #[serde(rename = "organisation:manage")]
    OrganisationManage,
}

impl Permission {
    pub const ALL: &'static [Permission] = &[
        Permission::DatasourcesRead,
        Permission::DatasourcesManage,
        Permission::QueriesRead,
        Permission::QueriesRun,
        Permission::ApiKeysManage,
        Permission::MembersManage,
        Permission::AuditRead,
        Permission::EnginesManage,
        Permission::OrganisationManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::DatasourcesRead => "datasources:read",
            Permission::DatasourcesManage => "datasources:manage",
            Permission::QueriesRead => "queries:read",
            Permission::QueriesRun => "queries:run",
            Permission::ApiKeysManage => "api_keys:manage",
            Permission::MembersManage => "members:manage",
            Permission::AuditRead => "audit:read",
            Permission::EnginesManage => "engines:manage",
            Permission::OrganisationManage => "organisation:manage",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown permission `{0}`")]
pub struct UnknownPermission(pub String);

impl FromStr for Permission {
    type Err = UnknownPermission;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permission::ALL.iter().copied().find(|p| p.as_str() == s).ok_or_else(|| UnknownPermission(s.to_owned()))
    }
}
