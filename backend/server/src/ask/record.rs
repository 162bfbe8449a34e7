//! The record every query leaves: one history row and one audit row, written in the same
//! transaction so that neither exists without the other, before the response leaves.

use std::time::Instant;

use kurobe_api::queries::QueryResponse;
use kurobe_core::Principal;
use kurobe_store::{DataSourceRecord, NewAuditEntry, NewQuery, QueryStatus};
use uuid::Uuid;

use super::{Failure, Input, group_commit::QueryRecord, millis};
use crate::{
    audit::{Actor, Audit},
    http::ApiError,
    state::AppState,
};

pub(crate) struct Recorder<'a> {
    state: &'a AppState,
    audit: &'a Audit,
    principal: &'a Principal,
    query_id: Uuid,
    datasource_id: Uuid,
    question: Option<&'a str>,
    submitted_sql: Option<&'a str>,
    /// The semantic query asked, for the record.
    semantic: Option<serde_json::Value>,
    started: Instant,
}

impl<'a> Recorder<'a> {
    pub fn new(
        state: &'a AppState,
        audit: &'a Audit,
        principal: &'a Principal,
        record: &DataSourceRecord,
        input: &'a Input,
        started: Instant,
    ) -> Self {
        let semantic = match input {
            Input::Semantic(query) => serde_json::to_value(query).ok(),
            _ => None,
        };
        let (question, submitted_sql) = match input {
            Input::Question { question, .. } => (Some(question.as_str()), None),
            Input::Sql(sql) => (None, Some(sql.as_str())),
            Input::Semantic(_) => (None, None),
        };
        Self {
            state,
            audit,
            principal,
            query_id: Uuid::now_v7(),
            datasource_id: record.id,
            question,
            submitted_sql,
            semantic,
            started,
        }
    }

    pub fn query_id(&self) -> Uuid {
        self.query_id
    }

    /// The history row's `sql` is what was asked to run: the analyst's SQL, or the SQL the
    /// engine generated for a question. `details.executed_sql` is what the guard rendered.
    fn entry(&self, sql: &str, status: QueryStatus, error: Option<&ApiError>) -> NewQuery {
        NewQuery {
            id: self.query_id,
            user_id: self.principal.user_id,
            api_key_id: self.principal.api_key_id(),
            datasource_id: self.datasource_id,
            question: self.question.map(str::to_owned),
            sql: sql.to_owned(),
            status,
            error_code: error.map(|e| e.code().as_str().to_owned()),
            row_count: None,
            duration_ms: millis(self.started),
            details: serde_json::json!({}),
        }
    }

    pub async fn success(&self, response: &QueryResponse, generated_sql: Option<&str>) -> Result<(), ApiError> {
        let sql = self.submitted_sql.or(generated_sql).unwrap_or(&response.sql);
        let mut entry = self.entry(sql, QueryStatus::Succeeded, None);
        entry.row_count = i64::try_from(response.row_count).ok();
        entry.details = serde_json::json!({
            "executed_sql": response.sql,
            "semantic_query": self.semantic,
            "cache_hit": response.cache.hit,
            "truncated": response.truncated,
            "generation": response.generation,
        });
        let details = serde_json::json!({
            "query_id": self.query_id,
            "rows": response.row_count,
            "truncated": response.truncated,
            "cache_hit": response.cache.hit,
            "engine": response.generation.as_ref().map(|g| &g.engine),
        });
        let audit = self.audit.success_row(Actor::from(self.principal), details);
        self.write(entry, audit).await
    }

    pub async fn failure(&self, failure: &Failure) -> Result<(), ApiError> {
        let sql = self.submitted_sql.or(failure.sql.as_deref()).unwrap_or_default();
        let mut entry = self.entry(sql, failure.status, Some(&failure.error));
        let message = failure.error.detail().message;
        entry.details =
            serde_json::json!({ "error": message, "context": failure.details, "semantic_query": self.semantic });
        let details = serde_json::json!({ "query_id": self.query_id, "reason": message, "sql": failure.sql });
        let audit = self.audit.failure_row(Actor::from(self.principal), failure.error.code(), details);
        self.write(entry, audit).await
    }

    /// Commits both rows together (with other queries' records, see [`super::group_commit`]).
    async fn write(&self, history: NewQuery, audit: NewAuditEntry) -> Result<(), ApiError> {
        let record = QueryRecord { org_id: self.principal.org_id, history, audit };
        self.state.records.write(record).await?;
        self.audit.mark_recorded();
        Ok(())
    }
}
