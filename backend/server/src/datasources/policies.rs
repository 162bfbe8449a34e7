//! Row policies of a data source: stored as JSON, validated against the schema before they
//! are stored, and turned into the guard's policies (with the caller's values) per query.

use std::collections::BTreeMap;

use kurobe_api::datasources::RowPolicy;
use kurobe_connector::{Dialect, Schema};
use kurobe_core::{Principal, Role};
use kurobe_store::DataSourceRecord;

use crate::{http::ApiError, state::AppState};

/// The stored policies; a value that no longer reads as policies counts as none only if
/// it is empty — anything else is an error, so a damaged row never opens the table up.
pub fn stored(record: &DataSourceRecord) -> Result<Vec<RowPolicy>, ApiError> {
    serde_json::from_value(record.row_policies.clone())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("the stored row policies do not read: {e}")))
}

/// `schema.table` split at its last dot (a Trino schema is `catalog.schema`).
fn split(table: &str) -> Result<(String, String), ApiError> {
    table
        .rsplit_once('.')
        .filter(|(schema, name)| !schema.is_empty() && !name.is_empty())
        .map(|(schema, name)| (schema.to_owned(), name.to_owned()))
        .ok_or_else(|| ApiError::invalid(format!("`{table}` must be schema.table")))
}

fn guard_policy(policy: &RowPolicy) -> Result<kurobe_guard::RowPolicy, ApiError> {
    let (schema, table) = split(&policy.table)?;
    Ok(kurobe_guard::RowPolicy { schema, table, predicate: policy.predicate.clone() })
}

/// Checks policies a client sent: known tables, roles named, predicates the guard accepts.
pub fn validate(policies: &[RowPolicy], dialect: Dialect, schema: &Schema) -> Result<(), ApiError> {
    for policy in policies {
        if policy.roles.is_empty() {
            return Err(ApiError::invalid(format!("the policy on {} names no role", policy.table)));
        }
        if policy.predicate.len() > 4_000 {
            return Err(ApiError::invalid("a predicate may be at most 4000 bytes"));
        }
        kurobe_guard::validate_policy(&guard_policy(policy)?, dialect, schema)
            .map_err(|refusal| ApiError::invalid(format!("the policy on {}: {refusal}", policy.table)))?;
    }
    Ok(())
}

/// The policies that apply to a role, in the guard's terms.
pub fn for_role(policies: &[RowPolicy], role: Role) -> Result<Vec<kurobe_guard::RowPolicy>, ApiError> {
    policies.iter().filter(|p| p.roles.contains(&role)).map(guard_policy).collect()
}

/// The caller's values the placeholders name.
pub async fn values(state: &AppState, principal: &Principal) -> Result<BTreeMap<String, String>, ApiError> {
    let member =
        crate::auth::member(state, principal.org_id, principal.user_id).await?.ok_or(ApiError::NotFound("member"))?;
    let mut values = BTreeMap::from([
        ("user.id".to_owned(), principal.user_id.to_string()),
        ("user.email".to_owned(), member.email.clone()),
        ("user.role".to_owned(), principal.role.as_str().to_owned()),
        ("org.id".to_owned(), principal.org_id.to_string()),
    ]);
    if let serde_json::Value::Object(attributes) = &member.attributes {
        for (name, value) in attributes {
            if let serde_json::Value::String(value) = value {
                values.insert(format!("user.attributes.{name}"), value.clone());
            }
        }
    }
    Ok(values)
}
