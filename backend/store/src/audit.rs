use std::{collections::BTreeMap, net::IpAddr};

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt as _;
use kurobe_core::AuditOutcome;
use sqlx::{
    PgPool, Postgres, Transaction,
    postgres::{PgConnectOptions, PgPoolOptions},
};
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
        self.append_audits(&[entry]).await
    }

    /// Appends rows in one statement, chained in the order given (by `audit_append`, the
    /// server role's only way to insert audit rows: migrations/0007).
    pub async fn append_audits(&mut self, entries: &[&NewAuditEntry]) -> Result<(), StoreError> {
        let column = |f: fn(&NewAuditEntry) -> Option<String>| entries.iter().map(|e| f(e)).collect::<Vec<_>>();
        sqlx::query(
            "SELECT audit_append($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], \
             $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::jsonb[])",
        )
        .bind(entries.iter().map(|_| Uuid::now_v7()).collect::<Vec<_>>())
        .bind(entries.iter().map(|e| e.org_id).collect::<Vec<_>>())
        .bind(entries.iter().map(|e| e.actor_user_id).collect::<Vec<_>>())
        .bind(entries.iter().map(|e| e.actor_api_key_id).collect::<Vec<_>>())
        .bind(entries.iter().map(|e| e.action.as_str()).collect::<Vec<_>>())
        .bind(column(|e| e.target.clone()))
        .bind(entries.iter().map(|e| e.outcome.as_str()).collect::<Vec<_>>())
        .bind(column(|e| e.error_code.clone()))
        .bind(column(|e| e.ip.map(|ip| ip.to_string())))
        .bind(column(|e| e.user_agent.clone()))
        .bind(column(|e| e.request_id.clone()))
        .bind(entries.iter().map(|e| &e.details).collect::<Vec<_>>())
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

// ------------------------------------------------------------------ the hash chain
//
// Rows are chained by the trigger of `migrations/0005_audit_chain.sql`, which documents the
// hash input. What follows reads the chains back as the owner role: verification, retention
// and export. It recomputes every hash here, independently of the SQL that wrote them.

/// The `prev_hash` of a chain's first row.
pub const AUDIT_GENESIS: [u8; 32] = [0; 32];

/// Versions the hash input, so a future encoding can be told apart.
const HASH_VERSION: &str = "kurobe.audit.v1";

/// The chain key of rows with no organisation (`audit_chain_heads.chain`).
const SYSTEM_CHAIN: Uuid = Uuid::nil();

/// One hash chain: an organisation's rows, or the system rows (no organisation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuditChain {
    System,
    Org(Uuid),
}

impl AuditChain {
    pub fn org_id(self) -> Option<Uuid> {
        match self {
            AuditChain::System => None,
            AuditChain::Org(id) => Some(id),
        }
    }

    fn from_org(org_id: Option<Uuid>) -> Self {
        org_id.map_or(AuditChain::System, AuditChain::Org)
    }

    /// The rows of this chain, as a condition the `(org_id, chain_position)` index serves.
    fn condition(self) -> &'static str {
        match self {
            AuditChain::System => "org_id IS NULL",
            AuditChain::Org(_) => "org_id = $1",
        }
    }

    fn key(self) -> Uuid {
        self.org_id().unwrap_or(SYSTEM_CHAIN)
    }
}

impl std::fmt::Display for AuditChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditChain::System => f.write_str("system"),
            AuditChain::Org(id) => write!(f, "org {id}"),
        }
    }
}

impl std::str::FromStr for AuditChain {
    type Err = String;

    /// An organisation id, or `system` for the rows of no organisation.
    fn from_str(text: &str) -> Result<Self, String> {
        if text.eq_ignore_ascii_case("system") {
            return Ok(AuditChain::System);
        }
        text.parse::<Uuid>()
            .map(AuditChain::Org)
            .map_err(|_| format!("`{text}` is neither an organisation id nor `system`"))
    }
}

/// An audit row with its place in the chain, every value in the form the hash covers. This is
/// also the line format of `kurobe audit export`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ChainedAuditRow {
    pub org_id: Option<Uuid>,
    pub chain_position: i64,
    pub seq: i64,
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub actor_user_id: Option<Uuid>,
    pub actor_api_key_id: Option<Uuid>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub error_code: Option<String>,
    /// The `inet` as Postgres casts it to text: address and prefix (`203.0.113.9/32`).
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// The details exactly as Postgres renders the jsonb, which is what the hash covers.
    pub details: Box<serde_json::value::RawValue>,
    #[serde(with = "hex_bytes")]
    pub prev_hash: Vec<u8>,
    #[serde(with = "hex_bytes")]
    pub hash: Vec<u8>,
}

impl PartialEq for ChainedAuditRow {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.seq == other.seq
            && self.chain_position == other.chain_position
            && self.created_at == other.created_at
            && self.org_id == other.org_id
            && self.actor_user_id == other.actor_user_id
            && self.actor_api_key_id == other.actor_api_key_id
            && self.action == other.action
            && self.target == other.target
            && self.outcome == other.outcome
            && self.error_code == other.error_code
            && self.ip == other.ip
            && self.user_agent == other.user_agent
            && self.request_id == other.request_id
            && self.details.get() == other.details.get()
            && self.prev_hash == other.prev_hash
            && self.hash == other.hash
    }
}

impl ChainedAuditRow {
    pub fn chain(&self) -> AuditChain {
        AuditChain::from_org(self.org_id)
    }

    /// SHA-256 of `prev` and the row's canonical encoding: the same bytes as
    /// `audit_row_hash` in `migrations/0005_audit_chain.sql`.
    pub fn compute_hash(&self, prev: &[u8]) -> [u8; 32] {
        use sha2::Digest as _;
        fn field(hasher: &mut sha2::Sha256, value: Option<&str>) {
            match value {
                None => hasher.update([0u8]),
                Some(text) => {
                    hasher.update([1u8]);
                    // Postgres caps a value at 1 GB, so the length always fits.
                    hasher.update((text.len() as u32).to_be_bytes());
                    hasher.update(text.as_bytes());
                }
            }
        }
        let uuid = |id: Option<Uuid>| id.map(|id| id.to_string());
        let mut hasher = sha2::Sha256::new();
        hasher.update(prev);
        field(&mut hasher, Some(HASH_VERSION));
        field(&mut hasher, Some(&self.id.to_string()));
        field(&mut hasher, Some(&self.seq.to_string()));
        field(&mut hasher, Some(&self.chain_position.to_string()));
        field(&mut hasher, Some(&self.created_at.timestamp_micros().to_string()));
        field(&mut hasher, uuid(self.org_id).as_deref());
        field(&mut hasher, uuid(self.actor_user_id).as_deref());
        field(&mut hasher, uuid(self.actor_api_key_id).as_deref());
        field(&mut hasher, Some(&self.action));
        field(&mut hasher, self.target.as_deref());
        field(&mut hasher, Some(&self.outcome));
        field(&mut hasher, self.error_code.as_deref());
        field(&mut hasher, self.ip.as_deref());
        field(&mut hasher, self.user_agent.as_deref());
        field(&mut hasher, self.request_id.as_deref());
        field(&mut hasher, Some(self.details.get()));
        hasher.finalize().into()
    }
}

mod hex_bytes {
    use std::fmt::Write as _;

    pub fn encode(bytes: &[u8]) -> String {
        bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
    }

    pub fn decode(text: &str) -> Option<Vec<u8>> {
        if !text.len().is_multiple_of(2) {
            return None;
        }
        (0..text.len()).step_by(2).map(|i| text.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
    }

    pub fn serialize<S: serde::Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&encode(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text: std::borrow::Cow<'de, str> = serde::Deserialize::deserialize(deserializer)?;
        decode(&text).ok_or_else(|| serde::de::Error::custom("expected a hexadecimal hash"))
    }
}

/// Lower-case hexadecimal, as hashes are printed and exported.
pub fn hex(bytes: &[u8]) -> String {
    hex_bytes::encode(bytes)
}

#[derive(sqlx::FromRow)]
struct ChainedRow {
    org_id: Option<Uuid>,
    chain_position: Option<i64>,
    seq: i64,
    id: Uuid,
    created_at: DateTime<Utc>,
    actor_user_id: Option<Uuid>,
    actor_api_key_id: Option<Uuid>,
    action: String,
    target: Option<String>,
    outcome: String,
    error_code: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    request_id: Option<String>,
    details: String,
    prev_hash: Option<Vec<u8>>,
    hash: Option<Vec<u8>>,
}

impl TryFrom<ChainedRow> for ChainedAuditRow {
    type Error = StoreError;

    fn try_from(row: ChainedRow) -> Result<Self, StoreError> {
        let details = serde_json::value::RawValue::from_string(row.details)
            .map_err(|e| StoreError::Corrupt(format!("details of audit row {} are not JSON: {e}", row.id)))?;
        // The columns are NOT NULL; were the constraint lifted, an empty value simply fails
        // verification instead of aborting it.
        Ok(ChainedAuditRow {
            org_id: row.org_id,
            chain_position: row.chain_position.unwrap_or(-1),
            seq: row.seq,
            id: row.id,
            created_at: row.created_at,
            actor_user_id: row.actor_user_id,
            actor_api_key_id: row.actor_api_key_id,
            action: row.action,
            target: row.target,
            outcome: row.outcome,
            error_code: row.error_code,
            ip: row.ip,
            user_agent: row.user_agent,
            request_id: row.request_id,
            details,
            prev_hash: row.prev_hash.unwrap_or_default(),
            hash: row.hash.unwrap_or_default(),
        })
    }
}

const CHAINED_COLUMNS: &str = "org_id, chain_position, seq, id, created_at, actor_user_id, actor_api_key_id, action, \
     target, outcome, error_code, ip::text AS ip, user_agent, request_id, details::text AS details, prev_hash, hash";

/// Where verification of a chain starts: the last row retention purged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCheckpoint {
    pub position: i64,
    pub hash: Vec<u8>,
    pub last_seq: i64,
    pub last_created_at: DateTime<Utc>,
    pub purged_rows: i64,
}

/// Why a chain does not hold, at its first broken link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakReason {
    /// The row's hash is not the hash of its content and `prev_hash`: a field, or the stored
    /// hash, was altered.
    Altered,
    /// The row is intact but names a predecessor other than the row before it (or the
    /// checkpoint): the previous row was rewritten along with its hash, or rows were replaced.
    LinkMismatch,
    /// Positions `first..=last` are absent before this row: rows were deleted.
    Missing { first: i64, last: i64 },
    /// The chain's head records rows after the last one present: the newest rows were deleted.
    MissingTail { first: i64, last: i64 },
    /// A position repeats or goes back.
    OutOfOrder,
    /// Rows exist but no head records the chain, or the head disagrees with the last row.
    HeadMismatch,
}

impl std::fmt::Display for BreakReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BreakReason::Altered => f.write_str("content altered: the stored hash does not match the row"),
            BreakReason::LinkMismatch => f.write_str(
                "broken link: prev_hash is not the hash of the preceding row (a row was rewritten or replaced)",
            ),
            BreakReason::Missing { first, last } if first == last => {
                write!(f, "missing row: position {first} is absent")
            }
            BreakReason::Missing { first, last } => write!(f, "missing rows: positions {first} to {last} are absent"),
            BreakReason::MissingTail { first, last } => {
                write!(
                    f,
                    "missing rows at the end: the chain head records positions up to {last}, rows end at {}",
                    first - 1
                )
            }
            BreakReason::OutOfOrder => f.write_str("position repeats or goes back"),
            BreakReason::HeadMismatch => f.write_str("the chain head does not match the last row"),
        }
    }
}

/// The first broken link of a chain: the row where it shows (absent for a missing tail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub position: i64,
    pub seq: Option<i64>,
    pub id: Option<Uuid>,
    /// The last row that verified, if any (after the checkpoint).
    pub after_seq: Option<i64>,
    pub reason: BreakReason,
}

/// What verifying one chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub chain: AuditChain,
    /// Rows that verified before the first break (all of them if none).
    pub verified_rows: u64,
    pub checkpoint: Option<AuditCheckpoint>,
    pub head_position: i64,
    pub head_hash: Vec<u8>,
    pub broken: Option<ChainBreak>,
}

impl ChainReport {
    pub fn holds(&self) -> bool {
        self.broken.is_none()
    }
}

/// Walks a chain row by row, in position order.
struct ChainWalk {
    position: i64,
    prev: Vec<u8>,
    last_seq: Option<i64>,
    verified: u64,
}

impl ChainWalk {
    fn new(checkpoint: Option<&AuditCheckpoint>) -> Self {
        match checkpoint {
            Some(c) => Self { position: c.position + 1, prev: c.hash.clone(), last_seq: Some(c.last_seq), verified: 0 },
            None => Self { position: 1, prev: AUDIT_GENESIS.to_vec(), last_seq: None, verified: 0 },
        }
    }

    fn step(&mut self, row: &ChainedAuditRow) -> Result<(), ChainBreak> {
        let broken = |reason, position| ChainBreak {
            position,
            seq: Some(row.seq),
            id: Some(row.id),
            after_seq: self.last_seq,
            reason,
        };
        if row.chain_position > self.position {
            let reason = BreakReason::Missing { first: self.position, last: row.chain_position - 1 };
            return Err(broken(reason, self.position));
        }
        if row.chain_position < self.position {
            return Err(broken(BreakReason::OutOfOrder, row.chain_position));
        }
        if row.compute_hash(&row.prev_hash).as_slice() != row.hash {
            return Err(broken(BreakReason::Altered, row.chain_position));
        }
        if row.prev_hash != self.prev {
            return Err(broken(BreakReason::LinkMismatch, row.chain_position));
        }
        self.prev.clone_from(&row.hash);
        self.position += 1;
        self.last_seq = Some(row.seq);
        self.verified += 1;
        Ok(())
    }

    /// After the last row: the head must record exactly where the walk ended.
    fn finish(&self, head: Option<&(i64, Vec<u8>)>) -> Result<(), ChainBreak> {
        let end = self.position - 1;
        let (position, hash) = match head {
            Some((position, hash)) => (*position, hash.as_slice()),
            // No head and no rows since the checkpoint (or at all) is an empty chain.
            None if self.verified == 0 => return Ok(()),
            None => (0, &[][..]),
        };
        if position == end && hash == self.prev {
            return Ok(());
        }
        let reason = if position > end {
            BreakReason::MissingTail { first: end + 1, last: position }
        } else {
            BreakReason::HeadMismatch
        };
        Err(ChainBreak { position: end + 1, seq: None, id: None, after_seq: self.last_seq, reason })
    }
}

/// What `purge` removed from one chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PurgedChain {
    pub org_id: Option<Uuid>,
    pub rows: u64,
    /// The new checkpoint: the position and hash of the last purged row.
    pub checkpoint_position: i64,
    pub checkpoint_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeReport {
    pub cutoff: DateTime<Utc>,
    pub chains: Vec<PurgedChain>,
}

impl PurgeReport {
    pub fn rows(&self) -> u64 {
        self.chains.iter().map(|c| c.rows).sum()
    }
}

/// Why a purge stopped before deleting anything.
#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Purging would destroy the evidence of a break: verify and investigate first.
    #[error("{chain} does not verify in the range to purge: {} at position {}", .broken.reason, .broken.position)]
    Broken { chain: AuditChain, broken: ChainBreak },
}

impl From<sqlx::Error> for PurgeError {
    fn from(err: sqlx::Error) -> Self {
        PurgeError::Store(err.into())
    }
}

/// The audit log's maintenance, connected as the owner role (the role that ran the
/// migrations): verification, retention and export across every chain. The server role can
/// neither see the system chain nor delete, and the owner reaches all chains only in
/// transactions that set `kurobe.audit_maintenance` (see `0005_audit_chain.sql`), which only
/// this type does.
#[derive(Debug, Clone)]
pub struct AuditMaintenance {
    pool: PgPool,
}

type Tx = Transaction<'static, Postgres>;

impl AuditMaintenance {
    pub fn connect_lazy(options: PgConnectOptions) -> Self {
        Self::from_pool(
            PgPoolOptions::new()
                .max_connections(2)
                .acquire_timeout(std::time::Duration::from_secs(10))
                .connect_lazy_with(options),
        )
    }

    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// `snapshot`: one REPEATABLE READ, read-only snapshot, so heads, checkpoints and rows
    /// read in it agree even while appends go on.
    async fn begin(&self, snapshot: bool) -> Result<Tx, StoreError> {
        let mut tx = self.pool.begin().await?;
        if snapshot {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        }
        sqlx::query(
            "SELECT set_config('kurobe.audit_maintenance', 'on', true), set_config('kurobe.org_id', '', true), \
             set_config('kurobe.user_id', '', true), set_config('kurobe.login_email', '', true), \
             set_config('kurobe.api_key_id', '', true)",
        )
        .execute(&mut *tx)
        .await?;
        Ok(tx)
    }

    async fn heads(tx: &mut Tx) -> Result<BTreeMap<AuditChain, (i64, Vec<u8>)>, StoreError> {
        let rows: Vec<(Option<Uuid>, i64, Vec<u8>)> =
            sqlx::query_as("SELECT org_id, position, hash FROM audit_chain_heads").fetch_all(&mut **tx).await?;
        Ok(rows.into_iter().map(|(org, position, hash)| (AuditChain::from_org(org), (position, hash))).collect())
    }

    async fn checkpoints(tx: &mut Tx) -> Result<BTreeMap<AuditChain, AuditCheckpoint>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            org_id: Option<Uuid>,
            position: i64,
            hash: Vec<u8>,
            last_seq: i64,
            last_created_at: DateTime<Utc>,
            purged_rows: i64,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT org_id, position, hash, last_seq, last_created_at, purged_rows FROM audit_chain_checkpoints",
        )
        .fetch_all(&mut **tx)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let checkpoint = AuditCheckpoint {
                    position: r.position,
                    hash: r.hash,
                    last_seq: r.last_seq,
                    last_created_at: r.last_created_at,
                    purged_rows: r.purged_rows,
                };
                (AuditChain::from_org(r.org_id), checkpoint)
            })
            .collect())
    }

    /// Every chain that has a head or rows.
    async fn chains(tx: &mut Tx, heads: &BTreeMap<AuditChain, (i64, Vec<u8>)>) -> Result<Vec<AuditChain>, StoreError> {
        let orgs: Vec<Option<Uuid>> =
            sqlx::query_scalar("SELECT DISTINCT org_id FROM audit_log").fetch_all(&mut **tx).await?;
        let mut chains: std::collections::BTreeSet<AuditChain> = heads.keys().copied().collect();
        chains.extend(orgs.into_iter().map(AuditChain::from_org));
        Ok(chains.into_iter().collect())
    }

    /// Walks every row of `chain` (up to `to_position` if given). No lower bound: a row left
    /// at or before the checkpoint is itself a break (out of order), not something to skip.
    async fn walk(
        tx: &mut Tx,
        chain: AuditChain,
        walk: &mut ChainWalk,
        to_position: Option<i64>,
    ) -> Result<Option<ChainBreak>, StoreError> {
        let sql = format!(
            "SELECT {CHAINED_COLUMNS} FROM audit_log WHERE {} \
             AND ($2::bigint IS NULL OR chain_position <= $2) ORDER BY chain_position, seq",
            chain.condition()
        );
        let mut rows = sqlx::query_as::<_, ChainedRow>(&sql).bind(chain.key()).bind(to_position).fetch(&mut **tx);
        while let Some(row) = rows.try_next().await? {
            let row = ChainedAuditRow::try_from(row)?;
            if let Err(broken) = walk.step(&row) {
                return Ok(Some(broken));
            }
        }
        Ok(None)
    }

    /// Verifies every chain (or one), each from its checkpoint or the genesis to its head, in
    /// one snapshot. Rows are streamed, never held all at once.
    pub async fn verify(&self, only: Option<AuditChain>) -> Result<Vec<ChainReport>, StoreError> {
        let mut tx = self.begin(true).await?;
        let heads = Self::heads(&mut tx).await?;
        let checkpoints = Self::checkpoints(&mut tx).await?;
        let chains = match only {
            Some(chain) => vec![chain],
            None => Self::chains(&mut tx, &heads).await?,
        };
        let mut reports = Vec::with_capacity(chains.len());
        for chain in chains {
            let checkpoint = checkpoints.get(&chain).cloned();
            let head = heads.get(&chain);
            let mut walk = ChainWalk::new(checkpoint.as_ref());
            let broken = match Self::walk(&mut tx, chain, &mut walk, None).await? {
                Some(broken) => Some(broken),
                None => walk.finish(head).err(),
            };
            reports.push(ChainReport {
                chain,
                verified_rows: walk.verified,
                checkpoint,
                head_position: head.map_or(0, |h| h.0),
                head_hash: head.map_or_else(|| AUDIT_GENESIS.to_vec(), |h| h.1.clone()),
                broken,
            });
        }
        tx.commit().await?;
        Ok(reports)
    }

    /// Deletes each chain's oldest rows created before `cutoff` and records, per chain, a
    /// checkpoint with the hash of the last row deleted, so what remains still verifies. Only
    /// a prefix of a chain is ever deleted: it ends before the first row (in chain order) that
    /// is new enough, since a long transaction can commit a row later than a newer one. The
    /// prefix is verified first and a broken one is left alone, as evidence. Everything, with
    /// the system audit row `audit.purge` that records it (naming `agent`, the CLI or the
    /// retention job, as its user agent), commits in one transaction.
    pub async fn purge(
        &self,
        cutoff: DateTime<Utc>,
        older_than_days: u32,
        agent: &str,
    ) -> Result<PurgeReport, PurgeError> {
        let mut tx = self.begin(false).await?;
        let heads = Self::heads(&mut tx).await?;
        let checkpoints = Self::checkpoints(&mut tx).await?;
        let mut purged = vec![];
        for chain in heads.keys().copied() {
            let checkpoint = checkpoints.get(&chain);
            let cond = chain.condition();
            let sql = format!(
                "SELECT coalesce(min(chain_position) FILTER (WHERE created_at >= $2) - 1, max(chain_position)) \
                 FROM audit_log WHERE {cond}"
            );
            let upto: Option<i64> = sqlx::query_scalar(&sql).bind(chain.key()).bind(cutoff).fetch_one(&mut *tx).await?;
            let Some(upto) = upto.filter(|upto| *upto > checkpoint.map_or(0, |c| c.position)) else { continue };
            let mut walk = ChainWalk::new(checkpoint);
            if let Some(broken) = Self::walk(&mut tx, chain, &mut walk, Some(upto)).await? {
                return Err(PurgeError::Broken { chain, broken });
            }
            if walk.position - 1 != upto {
                let broken = ChainBreak {
                    position: walk.position,
                    seq: None,
                    id: None,
                    after_seq: walk.last_seq,
                    reason: BreakReason::Missing { first: walk.position, last: upto },
                };
                return Err(PurgeError::Broken { chain, broken });
            }
            let sql = format!(
                "DELETE FROM audit_log WHERE {cond} AND chain_position <= $2 \
                 RETURNING chain_position, seq, hash, created_at"
            );
            let deleted: Vec<(i64, i64, Vec<u8>, DateTime<Utc>)> =
                sqlx::query_as(&sql).bind(chain.key()).bind(upto).fetch_all(&mut *tx).await?;
            let Some((_, last_seq, hash, last_created_at)) = deleted.iter().max_by_key(|d| d.0).cloned() else {
                continue;
            };
            sqlx::query(
                "INSERT INTO audit_chain_checkpoints (org_id, position, hash, last_seq, last_created_at, purged_rows) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (chain) DO UPDATE SET position = EXCLUDED.position, hash = EXCLUDED.hash, \
                   last_seq = EXCLUDED.last_seq, last_created_at = EXCLUDED.last_created_at, \
                   purged_rows = audit_chain_checkpoints.purged_rows + EXCLUDED.purged_rows, purged_at = now()",
            )
            .bind(chain.org_id())
            .bind(upto)
            .bind(&hash)
            .bind(last_seq)
            .bind(last_created_at)
            .bind(deleted.len() as i64)
            .execute(&mut *tx)
            .await?;
            purged.push(PurgedChain {
                org_id: chain.org_id(),
                rows: deleted.len() as u64,
                checkpoint_position: upto,
                checkpoint_hash: hex(&hash),
            });
        }
        let report = PurgeReport { cutoff, chains: purged };
        let details = serde_json::json!({
            "older_than_days": older_than_days,
            "cutoff": cutoff,
            "rows": report.rows(),
            "chains": report.chains,
        });
        sqlx::query(
            "INSERT INTO audit_log (id, org_id, action, target, outcome, user_agent, details) \
             VALUES ($1, NULL, 'audit.purge', NULL, 'success', $2, $3)",
        )
        .bind(Uuid::now_v7())
        .bind(agent)
        .bind(details)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Streams the rows of every chain (in seq order, which is chain order within each) or
    /// of one chain, created at or after `since`, to `each`, from one snapshot. Returns how
    /// many rows were written.
    pub async fn export<E: From<StoreError>>(
        &self,
        only: Option<AuditChain>,
        since: Option<DateTime<Utc>>,
        mut each: impl FnMut(ChainedAuditRow) -> Result<(), E>,
    ) -> Result<u64, E> {
        let mut tx = self.begin(true).await?;
        let (filter, order) = match only {
            Some(chain) => (chain.condition(), "chain_position"),
            None => ("$1::uuid IS NULL", "seq"),
        };
        let sql = format!(
            "SELECT {CHAINED_COLUMNS} FROM audit_log WHERE {filter} \
             AND ($2::timestamptz IS NULL OR created_at >= $2) ORDER BY {order}"
        );
        let mut count = 0;
        {
            let mut rows =
                sqlx::query_as::<_, ChainedRow>(&sql).bind(only.map(AuditChain::key)).bind(since).fetch(&mut *tx);
            while let Some(row) = rows.try_next().await.map_err(StoreError::from)? {
                each(ChainedAuditRow::try_from(row)?)?;
                count += 1;
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(count)
    }
}
