//! The platform store. All access goes through [`Store::begin`], which opens a transaction
//! and sets the tenant [`Context`] first, so Postgres row-level security decides what every
//! statement can see or write. There is no other way to reach the pool from outside.

mod api_keys;
mod audit;
mod context;
mod datasources;
mod error;
mod history;
mod jobs;
mod members;
mod organisations;
mod saved;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod users;

pub use api_keys::{ApiKeyRecord, NewApiKey};
pub use audit::{
    AUDIT_GENESIS, AuditChain, AuditCheckpoint, AuditFilter, AuditMaintenance, AuditRecord, BreakReason, ChainBreak,
    ChainReport, ChainedAuditRow, NewAuditEntry, PurgeError, PurgeReport, PurgedChain, hex,
};
pub use context::Context;
pub use datasources::{DataSourceChanges, DataSourceRecord, HealthRecord, NewDataSource};
pub use error::StoreError;
pub use history::{HistoryFilter, NewQuery, QueryRecord, QueryStatus};
pub use jobs::{JobRunRecord, JobRunState, NewJobRun, migrate};
pub use members::{MemberRecord, MembershipRecord};
pub use organisations::OrganisationRecord;
pub use saved::{SavedQuestionRecord, VerifiedExample};
pub use store::{MIGRATOR, RoleCheck, Scoped, Store};
pub use users::UserRecord;
