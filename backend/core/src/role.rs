use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::Permission;

/// A member's role inside one organisation, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Analyst,
    Admin,
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Analyst, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Viewer => "viewer",
        }
    }

    /// The permissions this role grants. Roles are cumulative: each one has everything the
    /// role below it has.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Viewer => &[DatasourcesRead, QueriesRead],
            Role::Analyst => &[DatasourcesRead, QueriesRead, QueriesRun, ApiKeysManage],
            Role::Admin => &[
                DatasourcesRead,
                QueriesRead,
                QueriesRun,
                ApiKeysManage,
                DatasourcesManage,
                MembersManage,
                AuditRead,
                EnginesManage,
            ],
            Role::Owner => Permission::ALL,
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }

    /// Whether a member holding `self` may grant, change or revoke `other`.
    /// Only owners touch owners; nobody hands out a role above their own.
    pub fn may_assign(self, other: Role) -> bool {
        self.allows(Permission::MembersManage) && (self == Role::Owner || other < Role::Owner)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role `{0}`")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|role| role.as_str() == s).ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_cumulative() {
        for pair in [Role::Viewer, Role::Analyst, Role::Admin, Role::Owner].windows(2) {
            for permission in pair[0].permissions() {
                assert!(pair[1].allows(*permission), "{} lacks {permission:?}", pair[1]);
            }
        }
    }

    #[test]
    fn only_owners_assign_owners() {
        assert!(Role::Owner.may_assign(Role::Owner));
        assert!(!Role::Admin.may_assign(Role::Owner));
        assert!(Role::Admin.may_assign(Role::Admin));
        assert!(!Role::Analyst.may_assign(Role::Viewer));
    }

    #[test]
    fn parses_its_own_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
