use uuid::Uuid;

/// The tenant context of one transaction, written into transaction-local Postgres settings
/// that the row-level security policies read (see `migrations/0001_foundation.sql`).
///
/// Each field unlocks a narrow view: `org_id` an organisation's rows, `user_id` a user's own
/// rows, `login_email` the one user row a sign-in names, `api_key_id` the one key being
/// verified. [`Context::none`] unlocks nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub org_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub login_email: Option<String>,
    pub api_key_id: Option<Uuid>,
}

impl Context {
    /// No tenant at all: every tenant table appears empty and refuses inserts.
    pub fn none() -> Self {
        Self::default()
    }

    pub fn org(org_id: Uuid) -> Self {
        Self { org_id: Some(org_id), ..Self::default() }
    }

    /// An organisation acted in by a known user.
    pub fn member(org_id: Uuid, user_id: Uuid) -> Self {
        Self { org_id: Some(org_id), user_id: Some(user_id), ..Self::default() }
    }

    pub fn user(user_id: Uuid) -> Self {
        Self { user_id: Some(user_id), ..Self::default() }
    }

    /// A sign-in or sign-up naming `email` (already normalised).
    pub fn login(email: &str) -> Self {
        Self { login_email: Some(email.to_owned()), ..Self::default() }
    }

    pub fn api_key(key_id: Uuid) -> Self {
        Self { api_key_id: Some(key_id), ..Self::default() }
    }
}
