use std::net::IpAddr;

use chrono::{DateTime, Utc};
use kurobe_core::AuditOutcome;
use uuid::Uuid;

use crate::{Scoped, StoreError};

/// An audit event about to be appended. `org_id` must match the transaction's context (or
/// both be absent): the insert policy refuses anything else.
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub org_id: Option<Uuid>,
    pub actor_user_id: Option<Uuid>,
    pub actor_api_key_id: Option<Uuid>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: AuditOutcome,
    pub error_code: Option<String>,
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub id: Uuid,
    pub seq: i64,
    pub created_at: DateTime<Utc>,
    pub org_id: Option<Uuid>,
    pub actor_user_id: Option<Uuid>,
    pub actor_api_key_id: Option<Uuid>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: AuditOutcome,
    pub error_code: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
}

/// Filters for reading the log, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Matches the action exactly, or every action under it when it ends in `.` (`api_key.`).
    pub action: Option<String>,
    pub outcome: Option<AuditOutcome>,
    pub actor_user_id: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only rows older than this sequence number (the pagination cursor).
    pub before: Option<i64>,
    pub limit: i64,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: Uuid,
    seq: i64,
    created_at: DateTime<Utc>,
    org_id: Option<Uuid>,
    actor_user_id: Option<Uuid>,
    actor_api_key_id: Option<Uuid>,
    action: String,
    target: Option<String>,
    outcome: String,
    error_code: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    request_id: Option<String>,
    details: serde_json::Value,
}

impl TryFrom<AuditRow> for AuditRecord {
    type Error = StoreError;

    fn try_from(row: AuditRow) -> Result<Self, StoreError> {
        let outcome = row
            .outcome
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("unknown outcome `{}` in audit row {}", row.outcome, row.id)))?;
        Ok(AuditRecord {
            id: row.id,
            seq: row.seq,
            created_at: row.created_at,
            org_id: row.org_id,
            actor_user_id: row.actor_user_id,
            actor_api_key_id: row.actor_api_key_id,
            action: row.action,
            target: row.target,
            outcome,
            error_code: row.error_code,
            ip: row.ip,
            user_agent: row.user_agent,
            request_id: row.request_id,
            details: row.details,
        })
    }
}

impl Scoped {
    pub async fn append_audit(&mut self, entry: &NewAuditEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (id, org_id, actor_user_id, actor_api_key_id, action, target, outcome, \
             error_code, ip, user_agent, request_id, details) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::inet, $10, $11, $12)",
        )
        .bind(Uuid::now_v7())
        .bind(entry.org_id)
        .bind(entry.actor_user_id)
        .bind(entry.actor_api_key_id)
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(entry.outcome.as_str())
        .bind(&entry.error_code)
        .bind(entry.ip.map(|ip| ip.to_string()))
        .bind(&entry.user_agent)
        .bind(&entry.request_id)
        .bind(&entry.details)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn audit_entries(&mut self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        let (action_exact, action_prefix) = match &filter.action {
            Some(a) if a.ends_with('.') => (None, Some(a.as_str())),
            Some(a) => (Some(a.as_str()), None),
            None => (None, None),
        };
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT id, seq, created_at, org_id, actor_user_id, actor_api_key_id, action, target, outcome, \
                    error_code, host(ip) AS ip, user_agent, request_id, details \
             FROM audit_log \
             WHERE org_id = current_org_id() \
               AND ($1::text IS NULL OR action = $1) \
               AND ($2::text IS NULL OR starts_with(action, $2)) \
               AND ($3::text IS NULL OR outcome = $3) \
               AND ($4::uuid IS NULL OR actor_user_id = $4) \
               AND ($5::timestamptz IS NULL OR created_at >= $5) \
               AND ($6::timestamptz IS NULL OR created_at < $6) \
               AND ($7::bigint IS NULL OR seq < $7) \
             ORDER BY seq DESC LIMIT $8",
        )
        .bind(action_exact)
        .bind(action_prefix)
        .bind(filter.outcome.map(AuditOutcome::as_str))
        .bind(filter.actor_user_id)
        .bind(filter.since)
        .bind(filter.until)
        .bind(filter.before)
        .bind(filter.limit)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }
}
