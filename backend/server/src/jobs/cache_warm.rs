//! Pinned questions re-run through the ask path, so the next analyst asking the same finds
//! the rows in the cache.
//!
//! A warming run acts as the member who pinned the question, with that member's role as it
//! is now: their row policies and context settings shape the SQL and the cache key, so the
//! entry serves exactly the callers who would read the same rows, and a member who lost the
//! right to run queries warms nothing. Each re-run leaves the usual history and audit rows,
//! under the action `query.warm`, the pinning member as actor, and the run's id as request id.

use kurobe_core::{Credential, Principal};
use kurobe_store::Context;
use serde_json::json;
use uuid::Uuid;

use super::{AGENT, task::JobError};
use crate::{
    ask::{self, Input},
    audit::Audit,
    state::AppState,
};

pub(super) async fn run(state: &AppState, org_id: Uuid, run_id: Uuid) -> Result<serde_json::Value, JobError> {
    let mut tx = state.store.begin(&Context::org(org_id)).await?;
    let pinned = tx.pinned_questions().await?;
    let mut pinners = Vec::with_capacity(pinned.len());
    for question in &pinned {
        let role = match question.pinned_by {
            Some(user) => tx.member_role(user).await?,
            None => None,
        };
        pinners.push(question.pinned_by.zip(role));
    }
    tx.commit().await?;

    let (mut warmed, mut cached, mut skipped, mut failures) = (0, 0, Vec::new(), Vec::new());
    for (question, pinner) in pinned.iter().zip(pinners) {
        // Whoever pinned it left the organisation: nobody to act as, and nothing to retry.
        let Some((user_id, role)) = pinner else {
            skipped.push(json!({ "saved_question_id": question.id, "reason": "pinned by someone no longer a member" }));
            continue;
        };
        // Warming runs the pinner's SQL as they would; nothing it does is server-wide.
        let principal = Principal { org_id, user_id, role, credential: Credential::Session, operator: false };
        let audit = Audit::background(run_id.to_string(), AGENT);
        audit.action("query.warm", Some(question.id.to_string()));
        let input = Input::Sql(question.sql.clone());
        match ask::run(state, &audit, &principal, question.datasource_id, input, &None).await {
            Ok(response) if response.cache.hit => cached += 1,
            Ok(_) => warmed += 1,
            Err(error) => failures.push((question.name.as_str(), JobError::from(error))),
        }
    }
    if failures.is_empty() {
        return Ok(json!({ "warmed": warmed, "already_cached": cached, "skipped": skipped }));
    }
    Err(JobError::of_many("pinned question(s)", pinned.len(), &failures))
}
