use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Scoped, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrganisationRecord {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl Scoped {
    /// Inserts the organisation of this transaction's context. The id comes from the
    /// context, so an organisation can only be created by a transaction scoped to it.
    pub async fn create_organisation(&mut self, name: &str) -> Result<OrganisationRecord, StoreError> {
        Ok(sqlx::query_as(
            "INSERT INTO organisations (id, name) VALUES (current_org_id(), $1) \
             RETURNING id, name, created_at",
        )
        .bind(name)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn organisation(&mut self, id: Uuid) -> Result<Option<OrganisationRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT id, name, created_at FROM organisations WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    /// Organisations found by exact name, oldest first (for the admin command line).
    pub async fn organisations_named(&mut self, name: &str) -> Result<Vec<OrganisationRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT id, name, created_at FROM organisations WHERE name = $1 ORDER BY created_at")
            .bind(name)
            .fetch_all(&mut *self.tx)
            .await?)
    }
}
