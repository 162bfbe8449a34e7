use chrono::{DateTime, Utc};
use kurobe_core::Role;
use uuid::Uuid;

use crate::{OrganisationRecord, Scoped, StoreError};

/// A member of the context's organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
    /// A JSON object of strings (a region, a team) that row policies read.
    pub attributes: serde_json::Value,
}

/// One organisation a user belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRecord {
    pub organisation: OrganisationRecord,
    pub role: Role,
}

const MEMBER_SELECT: &str = "SELECT u.id, u.email, u.display_name, m.role, m.created_at, m.attributes \
     FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = current_org_id()";

#[derive(sqlx::FromRow)]
struct MemberRow {
    id: Uuid,
    email: String,
    display_name: Option<String>,
    role: String,
    created_at: DateTime<Utc>,
    attributes: serde_json::Value,
}

impl MemberRow {
    fn into_record(self) -> Result<MemberRecord, StoreError> {
        Ok(MemberRecord {
            user_id: self.id,
            email: self.email,
            display_name: self.display_name,
            role: role(&self.role)?,
            joined_at: self.created_at,
            attributes: self.attributes,
        })
    }
}

fn role(raw: &str) -> Result<Role, StoreError> {
    raw.parse().map_err(|_| StoreError::Corrupt(format!("unknown role `{raw}` in memberships")))
}

impl Scoped {
    pub async fn add_member(&mut self, user_id: Uuid, role: Role) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO memberships (org_id, user_id, role) VALUES (current_org_id(), $1, $2)")
            .bind(user_id)
            .bind(role.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// The role `user_id` holds in the context's organisation, if any.
    pub async fn member_role(&mut self, user_id: Uuid) -> Result<Option<Role>, StoreError> {
        let raw: Option<String> =
            sqlx::query_scalar("SELECT role FROM memberships WHERE org_id = current_org_id() AND user_id = $1")
                .bind(user_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        raw.as_deref().map(role).transpose()
    }

    pub async fn members(&mut self) -> Result<Vec<MemberRecord>, StoreError> {
        let rows: Vec<MemberRow> =
            sqlx::query_as(&format!("{MEMBER_SELECT} ORDER BY m.created_at, u.email")).fetch_all(&mut *self.tx).await?;
        rows.into_iter().map(MemberRow::into_record).collect()
    }

    pub async fn member(&mut self, user_id: Uuid) -> Result<Option<MemberRecord>, StoreError> {
        let row: Option<MemberRow> = sqlx::query_as(&format!("{MEMBER_SELECT} AND m.user_id = $1"))
            .bind(user_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.map(MemberRow::into_record).transpose()
    }

    /// Replaces a member's attributes (a JSON object of strings, read by row policies);
    /// `false` when they are not a member.
    pub async fn set_member_attributes(
        &mut self,
        user_id: Uuid,
        attributes: &serde_json::Value,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE memberships SET attributes = $2 WHERE org_id = current_org_id() AND user_id = $1")
                .bind(user_id)
                .bind(attributes)
                .execute(&mut *self.tx)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Changes a member's role; `false` when they are not a member.
    pub async fn set_member_role(&mut self, user_id: Uuid, new_role: Role) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE memberships SET role = $2 WHERE org_id = current_org_id() AND user_id = $1")
            .bind(user_id)
            .bind(new_role.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn remove_member(&mut self, user_id: Uuid) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM memberships WHERE org_id = current_org_id() AND user_id = $1")
            .bind(user_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The number of owners, locked against concurrent changes so the last owner cannot be
    /// demoted or removed by two requests racing each other.
    pub async fn lock_owner_count(&mut self) -> Result<i64, StoreError> {
        let owners: Vec<Uuid> = sqlx::query_scalar(
            "SELECT user_id FROM memberships WHERE org_id = current_org_id() AND role = 'owner' FOR UPDATE",
        )
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(owners.len() as i64)
    }

    /// Every organisation the context's user belongs to, oldest membership first.
    pub async fn memberships_of(&mut self, user_id: Uuid) -> Result<Vec<MembershipRecord>, StoreError> {
        let rows: Vec<(Uuid, String, DateTime<Utc>, String)> = sqlx::query_as(
            "SELECT o.id, o.name, o.created_at, m.role \
             FROM memberships m JOIN organisations o ON o.id = m.org_id \
             WHERE m.user_id = $1 ORDER BY m.created_at, o.name",
        )
        .bind(user_id)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.into_iter()
            .map(|(id, name, created_at, raw)| {
                Ok(MembershipRecord { organisation: OrganisationRecord { id, name, created_at }, role: role(&raw)? })
            })
            .collect()
    }
}
