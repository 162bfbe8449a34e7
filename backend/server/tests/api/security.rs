//! The security suites of the API: every route × every role × another organisation's ids
//! (`routes`); forged, expired and revoked credentials (`credentials`); and questions,
//! replayed model answers and semantic queries that try to escape the guard or the row
//! policies (`injection`).

mod credentials;
mod injection;
mod routes;
