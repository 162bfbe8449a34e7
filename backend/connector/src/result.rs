use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Limits, Value};

/// The logical type of a result column, the same words for every engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataType {
    Boolean,
    /// A whole number of this many bits.
    Integer {
        bits: u8,
    },
    Float,
    Decimal {
        precision: Option<u8>,
        scale: Option<u8>,
    },
    Text,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Interval,
    Json,
    Uuid,
    Binary,
    Array {
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        element: Box<DataType>,
    },
    /// A type Kurobe has no finer word for; `native_type` names it.
    Other,
}

impl DataType {
    pub fn is_numeric(&self) -> bool {
        matches!(self, DataType::Integer { .. } | DataType::Float | DataType::Decimal { .. })
    }

    pub fn is_temporal(&self) -> bool {
        matches!(self, DataType::Date | DataType::Timestamp | DataType::TimestampTz)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Column {
    pub name: String,
    pub data_type: DataType,
    /// The engine's own name for the type, e.g. `numeric(10,2)` or `TIMESTAMP WITH TIME ZONE`.
    pub native_type: String,
}

/// The rows of one execution, within its limits.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
    /// More rows existed than the row or byte cap let through.
    pub truncated: bool,
    pub elapsed: Duration,
}

/// What a streamed query hands on: its columns first, then rows in batches.
#[derive(Debug, Clone, PartialEq)]
pub enum RowBatch {
    Columns(Vec<Column>),
    Rows(Vec<Vec<Value>>),
}

/// The sending side of a streamed query; a full channel pauses the query, a closed one
/// stops it.
pub type RowSender = tokio::sync::mpsc::Sender<RowBatch>;

/// Rows per batch of a stream.
pub const STREAM_BATCH: usize = 1_000;

/// Collects rows up to the row and byte caps, so every connector truncates alike. A
/// streaming builder keeps rows only until [`ResultBuilder::take_batch`] hands them on: the
/// row cap counts every row, the byte cap only the rows it holds.
#[derive(Debug)]
pub struct ResultBuilder {
    columns: Vec<Column>,
    rows: Vec<Vec<Value>>,
    bytes: usize,
    limits: Limits,
    truncated: bool,
    /// Rows already handed on by a streaming builder.
    handed_on: usize,
}

impl ResultBuilder {
    pub fn new(columns: Vec<Column>, limits: Limits) -> Self {
        Self { columns, rows: Vec::new(), bytes: 0, limits, truncated: false, handed_on: 0 }
    }

    /// The rows held once there are at least `at_least` of them (any, with 1), for a
    /// streaming caller to send on.
    pub fn take_batch(&mut self, at_least: usize) -> Option<Vec<Vec<Value>>> {
        if self.rows.is_empty() || self.rows.len() < at_least {
            return None;
        }
        self.bytes = 0;
        self.handed_on += self.rows.len();
        Some(std::mem::take(&mut self.rows))
    }

    pub fn truncated(&self) -> bool {
        self.truncated
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Adds a row; `false` once a cap is reached, after which the caller stops reading
    /// (the row that hit the cap is not kept, and the result is marked truncated).
    pub fn push(&mut self, row: Vec<Value>) -> bool {
        let size: usize = row.iter().map(Value::approx_size).sum();
        if self.handed_on + self.rows.len() >= self.limits.max_rows || self.bytes + size > self.limits.max_bytes {
            self.truncated = true;
            return false;
        }
        self.bytes += size;
        self.rows.push(row);
        true
    }

    pub fn finish(self, elapsed: Duration) -> QueryResult {
        QueryResult { columns: self.columns, rows: self.rows, truncated: self.truncated, elapsed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_rows_and_bytes_and_says_so() {
        let limits = Limits { max_rows: 2, ..Limits::default() };
        let mut builder = ResultBuilder::new(vec![], limits);
        assert!(builder.push(vec![Value::Int(1)]));
        assert!(builder.push(vec![Value::Int(2)]));
        assert!(!builder.push(vec![Value::Int(3)]));
        let result = builder.finish(Duration::ZERO);
        assert_eq!((result.rows.len(), result.truncated), (2, true));

        let limits = Limits { max_bytes: 200, ..Limits::default() };
        let mut builder = ResultBuilder::new(vec![], limits);
        assert!(builder.push(vec![Value::Text("x".repeat(100))]));
        assert!(!builder.push(vec![Value::Text("y".repeat(100))]));
        assert!(builder.finish(Duration::ZERO).truncated);
    }

    #[test]
    fn a_streaming_builder_caps_every_row_but_holds_only_a_batch() {
        // Five rows would pass the byte cap; two at a time do not.
        let limits = Limits { max_rows: 5, max_bytes: 200, ..Limits::default() };
        let mut builder = ResultBuilder::new(vec![], limits);
        let mut sent = 0;
        for i in 0..10 {
            if !builder.push(vec![Value::Text("x".repeat(30))]) {
                break;
            }
            assert_eq!(builder.take_batch(2).map(|b| b.len()), (i % 2 == 1).then_some(2));
            sent += usize::from(i % 2 == 1) * 2;
        }
        assert_eq!(sent + builder.take_batch(1).map_or(0, |b| b.len()), 5);
        assert!(builder.truncated());
    }

    #[test]
    fn a_result_exactly_at_the_cap_is_not_truncated() {
        let limits = Limits { max_rows: 1, ..Limits::default() };
        let mut builder = ResultBuilder::new(vec![], limits);
        assert!(builder.push(vec![Value::Int(1)]));
        assert!(!builder.finish(Duration::ZERO).truncated);
    }
}
