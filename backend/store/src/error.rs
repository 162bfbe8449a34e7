/// What can go wrong in the store, sorted by what a caller can do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Postgres cannot be reached, or is shutting down: retry later.
    #[error("the platform database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// A named constraint rejected the write; the name says which rule was broken.
    #[error("constraint `{constraint}` rejected the write")]
    Constraint {
        constraint: String,
        #[source]
        source: sqlx::Error,
    },
    /// A row-level security policy rejected the write: the row belongs to another tenant.
    #[error("row-level security rejected the write")]
    PolicyViolation(#[source] sqlx::Error),
    /// A row holds a value the code does not know, such as an unknown role.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    /// The violated constraint's name, for mapping known rules to client errors.
    pub fn constraint(&self) -> Option<&str> {
        match self {
            StoreError::Constraint { constraint, .. } => Some(constraint),
            _ => None,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
                StoreError::Unavailable(err)
            }
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                if code == "42501" {
                    // insufficient_privilege, raised for a row that fails a WITH CHECK policy.
                    StoreError::PolicyViolation(err)
                } else if code.starts_with("08") || code.starts_with("57P") {
                    // connection_exception and operator_intervention (shutdown, restart).
                    StoreError::Unavailable(err)
                } else if let Some(constraint) = db.constraint() {
                    StoreError::Constraint { constraint: constraint.to_owned(), source: err }
                } else {
                    StoreError::Database(err)
                }
            }
            _ => StoreError::Database(err),
        }
    }
}
