use std::time::Duration;

/// The bounds every execution runs within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub timeout: Duration,
    /// Rows beyond this are not returned; the result says `truncated`.
    pub max_rows: usize,
    /// An estimate of the result's size in memory; rows beyond it are not returned.
    pub max_bytes: usize,
}

impl Limits {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
    pub const MAX_TIMEOUT: Duration = Duration::from_secs(300);
    pub const DEFAULT_MAX_ROWS: usize = 10_000;
    pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

    /// Limits with a caller-chosen timeout, refused above the five-minute ceiling.
    pub fn with_timeout(timeout: Duration) -> Result<Self, LimitsError> {
        if timeout.is_zero() || timeout > Self::MAX_TIMEOUT {
            return Err(LimitsError::Timeout(timeout));
        }
        Ok(Self { timeout, ..Self::default() })
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self { timeout: Self::DEFAULT_TIMEOUT, max_rows: Self::DEFAULT_MAX_ROWS, max_bytes: Self::DEFAULT_MAX_BYTES }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitsError {
    #[error("a timeout must be between 1 ms and {} s, not {} s", Limits::MAX_TIMEOUT.as_secs(), .0.as_secs_f64())]
    Timeout(Duration),
}

/// One execution: its limits and the caller's context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecRequest {
    pub limits: Limits,
    /// Settings made visible to the warehouse for this query only, so a customer's own
    /// row-level security can see who asks (Postgres: `set_config(name, value, true)`).
    /// Names are validated by the connector; values are always bound, never spliced.
    pub settings: Vec<(String, String)>,
}

/// What introspection reads beyond names and types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntrospectOptions {
    /// Only these schemas; all non-system schemas when empty.
    pub schemas: Vec<String>,
    /// Read up to this many distinct values of text columns that have no more than that
    /// many; 0 turns sampling off.
    pub max_sample_values: usize,
    /// Sampling reads at most this many rows per table, to bound its cost on large tables.
    pub sample_rows: u64,
    pub timeout: Duration,
}

impl IntrospectOptions {
    /// Whether tables of `schema` are to be read.
    pub fn wants(&self, schema: &str) -> bool {
        self.schemas.is_empty() || self.schemas.iter().any(|s| s == schema)
    }
}

impl Default for IntrospectOptions {
    fn default() -> Self {
        Self { schemas: Vec::new(), max_sample_values: 50, sample_rows: 100_000, timeout: Duration::from_secs(120) }
    }
}
