use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// One thing a principal may do. API-key scopes are written with these names, so a key can
/// be narrowed to, say, `queries:run` alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Permission {
    #[serde(rename = "datasources:read")]
    DatasourcesRead,
    #[serde(rename = "datasources:manage")]
    DatasourcesManage,
    #[serde(rename = "queries:read")]
    QueriesRead,
    #[serde(rename = "queries:run")]
    QueriesRun,
    #[serde(rename = "api_keys:manage")]
    ApiKeysManage,
    #[serde(rename = "members:manage")]
    MembersManage,
    #[serde(rename = "audit:read")]
    AuditRead,
    #[serde(rename = "engines:manage")]
    EnginesManage,
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
