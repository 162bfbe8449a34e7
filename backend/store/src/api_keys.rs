use chrono::{DateTime, Utc};
use kurobe_core::Permission;
use uuid::Uuid;

use crate::{Scoped, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: Uuid,
    pub org_id: Uuid,
    pub created_by: Uuid,
    pub name: String,
    /// SHA-256 of the secret part of the key.
    pub secret_digest: Vec<u8>,
    pub scopes: Vec<Permission>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewApiKey<'a> {
    pub id: Uuid,
    pub created_by: Uuid,
    pub name: &'a str,
    pub secret_digest: &'a [u8],
    pub scopes: &'a [Permission],
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    id: Uuid,
    org_id: Uuid,
    created_by: Uuid,
    name: String,
    secret_digest: Vec<u8>,
    scopes: Vec<String>,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl TryFrom<ApiKeyRow> for ApiKeyRecord {
    type Error = StoreError;

    fn try_from(row: ApiKeyRow) -> Result<Self, StoreError> {
        let scopes = row
            .scopes
            .iter()
            .map(|s| s.parse().map_err(|_| StoreError::Corrupt(format!("unknown scope `{s}` on key {}", row.id))))
            .collect::<Result<_, _>>()?;
        Ok(ApiKeyRecord {
            id: row.id,
            org_id: row.org_id,
            created_by: row.created_by,
            name: row.name,
            secret_digest: row.secret_digest,
            scopes,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
            created_at: row.created_at,
        })
    }
}

const KEY_COLUMNS: &str =
    "id, org_id, created_by, name, secret_digest, scopes, expires_at, last_used_at, revoked_at, created_at";

impl Scoped {
    pub async fn create_api_key(&mut self, key: NewApiKey<'_>) -> Result<ApiKeyRecord, StoreError> {
        let scopes: Vec<&str> = key.scopes.iter().map(|p| p.as_str()).collect();
        let row: ApiKeyRow = sqlx::query_as(&format!(
            "INSERT INTO api_keys (id, org_id, created_by, name, secret_digest, scopes, expires_at) \
             VALUES ($1, current_org_id(), $2, $3, $4, $5, $6) RETURNING {KEY_COLUMNS}"
        ))
        .bind(key.id)
        .bind(key.created_by)
        .bind(key.name)
        .bind(key.secret_digest)
        .bind(&scopes)
        .bind(key.expires_at)
        .fetch_one(&mut *self.tx)
        .await?;
        row.try_into()
    }

    /// A key by id: visible in its organisation's context, or in a context that names it
    /// for verification.
    pub async fn api_key(&mut self, id: Uuid) -> Result<Option<ApiKeyRecord>, StoreError> {
        let row: Option<ApiKeyRow> = sqlx::query_as(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    pub async fn api_keys(&mut self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let rows: Vec<ApiKeyRow> = sqlx::query_as(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE org_id = current_org_id() ORDER BY created_at DESC"
        ))
        .fetch_all(&mut *self.tx)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Revokes a key; `None` if no such key is visible, the record (revoked now or before)
    /// otherwise. Revoking twice keeps the first revocation time.
    pub async fn revoke_api_key(&mut self, id: Uuid) -> Result<Option<ApiKeyRecord>, StoreError> {
        let row: Option<ApiKeyRow> = sqlx::query_as(&format!(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) \
             WHERE id = $1 AND org_id = current_org_id() RETURNING {KEY_COLUMNS}"
        ))
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(TryInto::try_into).transpose()
    }

    /// Records a use of the key, at most once a minute per key so a busy script does not
    /// turn every read into a write.
    pub async fn touch_api_key(&mut self, id: Uuid) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND org_id = current_org_id() \
             AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
        )
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
