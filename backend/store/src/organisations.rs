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
}

impl Scoped {
    /// The settings object of the context's organisation.
    pub async fn organisation_settings(&mut self) -> Result<serde_json::Value, StoreError> {
        Ok(sqlx::query_scalar("SELECT settings FROM organisations WHERE id = current_org_id()")
            .fetch_optional(&mut *self.tx)
            .await?
            .unwrap_or_else(|| serde_json::json!({})))
    }

    /// Renames the context's organisation and replaces its settings.
    pub async fn update_organisation(&mut self, name: &str, settings: &serde_json::Value) -> Result<(), StoreError> {
        sqlx::query("UPDATE organisations SET name = $1, settings = $2 WHERE id = current_org_id()")
            .bind(name)
            .bind(settings)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}
