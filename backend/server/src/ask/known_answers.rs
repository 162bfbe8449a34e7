//! The SQL a deterministic engine (the offline one) wrote for a question, remembered so the
//! same question asked again skips table linking, example ranking and generation — about
//! half the CPU of an ask answered from the result cache.
//!
//! The key holds everything that answer was derived from: the organisation and data source
//! (with its configuration version and schema generation), the semantic model's version, the
//! engine registry's version and the engine asked for, the tenant cache's epoch (the
//! verified examples), today's date (relative periods) and the question. The caller's row
//! policies are not in it: the guard applies them to the remembered SQL on every ask.

use std::{sync::Arc, time::Duration};

use chrono::NaiveDate;
use kurobe_api::queries::Generation;
use uuid::Uuid;

use super::cache::KeyHasher;
use crate::datasources::semantic::ModelVersion;

/// How many answers are kept, across organisations.
const CAPACITY: u64 = 50_000;
/// Answers are small and cheap to recompute; an hour bounds what an idle entry holds.
const IDLE: Duration = Duration::from_secs(3_600);

/// An answer as the engine gave it, before the guard.
#[derive(Debug, Clone)]
pub struct KnownAnswer {
    pub sql: String,
    pub explanation: Option<String>,
    pub generation: Generation,
}

/// What an answer depends on besides the engine's code.
#[derive(Debug)]
pub struct Facts<'a> {
    pub org_id: Uuid,
    pub datasource_id: Uuid,
    pub config_version: i64,
    pub model: ModelVersion,
    pub registry_version: u64,
    pub engine: Option<&'a str>,
    pub tenant_epoch: u64,
    pub today: NaiveDate,
    pub question: &'a str,
}

impl Facts<'_> {
    fn key(&self) -> [u8; 32] {
        let modified = self.model.modified.and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok());
        let mut hash = KeyHasher::new(b"kurobe.known-answer.v1");
        hash.part(self.org_id.as_bytes())
            .part(self.datasource_id.as_bytes())
            .part(&self.config_version.to_le_bytes())
            .part(&self.model.generation.to_le_bytes())
            .part(&modified.map_or(0, |d| d.as_nanos()).to_le_bytes())
            .part(&self.registry_version.to_le_bytes())
            .part(self.engine.unwrap_or_default().as_bytes())
            .part(&self.tenant_epoch.to_le_bytes())
            .part(self.today.to_string().as_bytes())
            .part(self.question.trim().as_bytes());
        hash.finish()
    }
}

#[derive(Debug)]
pub struct KnownAnswers(moka::sync::Cache<[u8; 32], Arc<KnownAnswer>>);

impl Default for KnownAnswers {
    fn default() -> Self {
        Self(moka::sync::Cache::builder().max_capacity(CAPACITY).time_to_idle(IDLE).build())
    }
}

impl KnownAnswers {
    pub fn get(&self, facts: &Facts<'_>) -> Option<Arc<KnownAnswer>> {
        self.0.get(&facts.key())
    }

    pub fn remember(&self, facts: &Facts<'_>, answer: KnownAnswer) {
        self.0.insert(facts.key(), Arc::new(answer));
    }

    /// Forgets an answer the guard or the warehouse no longer accepts.
    pub fn forget(&self, facts: &Facts<'_>) {
        self.0.invalidate(&facts.key());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(question: &str) -> Facts<'_> {
        Facts {
            org_id: Uuid::nil(),
            datasource_id: Uuid::nil(),
            config_version: 1,
            model: ModelVersion { generation: 1, modified: None },
            registry_version: 1,
            engine: None,
            tenant_epoch: 0,
            today: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default(),
            question,
        }
    }

    #[test]
    fn the_key_changes_with_every_fact() {
        let base = facts("How many orders?").key();
        assert_eq!(base, facts("  How many orders?\n").key());
        assert_ne!(base, facts("How many customers?").key());
        assert_ne!(base, Facts { org_id: Uuid::max(), ..facts("How many orders?") }.key());
        assert_ne!(base, Facts { datasource_id: Uuid::max(), ..facts("How many orders?") }.key());
        assert_ne!(base, Facts { config_version: 2, ..facts("How many orders?") }.key());
        let model = ModelVersion { generation: 2, modified: None };
        assert_ne!(base, Facts { model, ..facts("How many orders?") }.key());
        let model = ModelVersion { generation: 1, modified: Some(std::time::UNIX_EPOCH + Duration::from_secs(1)) };
        assert_ne!(base, Facts { model, ..facts("How many orders?") }.key());
        assert_ne!(base, Facts { registry_version: 2, ..facts("How many orders?") }.key());
        assert_ne!(base, Facts { engine: Some("offline"), ..facts("How many orders?") }.key());
        assert_ne!(base, Facts { tenant_epoch: 1, ..facts("How many orders?") }.key());
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
        assert_ne!(base, Facts { today, ..facts("How many orders?") }.key());
    }
}
