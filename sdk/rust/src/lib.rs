//! The Rust client of Kurobe's HTTP API, over the very types the server serialises
//! ([`kurobe_api`], re-exported as [`types`]), so the two cannot drift apart.
//!
//! ```no_run
//! # async fn demo() -> Result<(), kurobe_sdk::Error> {
//! // KUROBE_BASE_URL and KUROBE_API_KEY, as a script would have them.
//! let kurobe = kurobe_sdk::Client::from_env()?;
//! let source = kurobe.datasources().await?.remove(0);
//! let answer = kurobe.ask(source.id, "How many orders are there by status?").await?;
//! println!("{}\n{} rows, chart: {:?}", answer.sql, answer.row_count, answer.chart.kind);
//! # Ok(()) }
//! ```
//!
//! Every failure the server reports is an [`Error::Api`] with its stable
//! [`ErrorCode`](types::ErrorCode), the message and the request id to quote:
//!
//! ```no_run
//! # async fn demo(kurobe: kurobe_sdk::Client, source: uuid::Uuid) {
//! use kurobe_sdk::{Error, types::ErrorCode};
//! match kurobe.ask(source, "What is the meaning of life?").await {
//!     Err(Error::Api(e)) if e.code == ErrorCode::CannotAnswer => {
//!         println!("try instead: {}", e.suggestions.join(" / "));
//!     }
//!     other => println!("{other:?}"),
//! }
//! # }
//! ```
//!
//! Stage events of an answer arrive as they happen:
//!
//! ```no_run
//! # async fn demo(kurobe: kurobe_sdk::Client, source: uuid::Uuid) -> Result<(), kurobe_sdk::Error> {
//! use futures_util::StreamExt;
//! let mut events = kurobe.ask_stream(source, "orders by status").await?;
//! while let Some(event) = events.next().await {
//!     println!("{}", event?.name());
//! }
//! # Ok(()) }
//! ```

mod client;
mod error;
mod routes;
mod sse;

pub use client::{Client, DEFAULT_MAX_RETRIES};
pub use error::{ApiError, Error};
pub use kurobe_api as types;
pub use routes::{ByteStream, EventStream};
