use std::time::Duration;

/// How a connector call failed. Messages from the engine are kept verbatim: they are about
/// the caller's own SQL and data, and are what a person needs to fix the query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// The data source's settings are unusable (a missing field, a path outside the
    /// allowed folders).
    #[error("invalid data source configuration: {0}")]
    Config(String),
    /// The engine cannot be reached, or refused the credentials.
    #[error("cannot connect: {0}")]
    Connection(String),
    /// The engine rejected or failed the query.
    #[error("{0}")]
    Query(String),
    /// The query ran past its time limit and was cancelled on the server.
    #[error("the query did not finish within {} s and was cancelled", .0.as_secs_f64())]
    Timeout(Duration),
    #[error("connector failure: {0}")]
    Internal(String),
}
