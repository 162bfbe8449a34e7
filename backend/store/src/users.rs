use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Scoped, StoreError};

#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRecord {
    pub id: Uuid,
    pub email: String,
    pub display_name: Option<String>,
    /// A PHC string (argon2id); `None` when the account has no password.
    pub password_hash: Option<String>,
    pub created_at: DateTime<Utc>,
}

// Written by hand so the password hash never reaches a log line.
impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("display_name", &self.display_name)
            .field("password_hash", &self.password_hash.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

const USER_COLUMNS: &str = "id, email, display_name, password_hash, created_at";

impl Scoped {
    /// Inserts a user. The policy only admits the email this transaction's context names.
    pub async fn create_user(
        &mut self,
        id: Uuid,
        email: &str,
        display_name: Option<&str>,
        password_hash: Option<&str>,
    ) -> Result<UserRecord, StoreError> {
        Ok(sqlx::query_as(&format!(
            "INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, $2, $3, $4) \
             RETURNING {USER_COLUMNS}"
        ))
        .bind(id)
        .bind(email)
        .bind(display_name)
        .bind(password_hash)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn user_by_email(&mut self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        Ok(sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1"))
            .bind(email)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    pub async fn user(&mut self, id: Uuid) -> Result<Option<UserRecord>, StoreError> {
        Ok(sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?)
    }
}
