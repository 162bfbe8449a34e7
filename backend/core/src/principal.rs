use uuid::Uuid;

use crate::{Permission, Role};

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A signed access token issued at login.
    Session,
    /// An API key; its scopes narrow what the owning member's role allows.
    ApiKey { id: Uuid, scopes: Vec<Permission> },
}

/// An authenticated caller acting inside exactly one organisation.
///
/// A principal only ever exists after its credential was verified *and* its membership was
/// read from the store, so `role` is current even when a token is older than a demotion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub credential: Credential,
    /// Whether the user operates the server itself (the server's `security.operators`):
    /// server-wide actions, such as reloading the engines file, need it on top of the role.
    pub operator: bool,
}

impl Principal {
    /// Whether this principal may do `permission`: the role must allow it and, for an API
    /// key, one of the key's scopes must name it.
    pub fn can(&self, permission: Permission) -> bool {
        let scoped = match &self.credential {
            Credential::Session => true,
            Credential::ApiKey { scopes, .. } => scopes.contains(&permission),
        };
        scoped && self.role.allows(permission)
    }

    pub fn api_key_id(&self) -> Option<Uuid> {
        match self.credential {
            Credential::ApiKey { id, .. } => Some(id),
            Credential::Session => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, credential: Credential) -> Principal {
        Principal { org_id: Uuid::nil(), user_id: Uuid::nil(), role, credential, operator: false }
    }

    #[test]
    fn key_scopes_narrow_but_never_widen_the_role() {
        let key = Credential::ApiKey { id: Uuid::nil(), scopes: vec![Permission::QueriesRun, Permission::AuditRead] };
        let analyst = principal(Role::Analyst, key.clone());
        assert!(analyst.can(Permission::QueriesRun));
        assert!(!analyst.can(Permission::AuditRead), "scope must not exceed the role");
        assert!(!analyst.can(Permission::DatasourcesRead), "role must not exceed the scope");
        assert!(principal(Role::Admin, key).can(Permission::AuditRead));
    }
}
