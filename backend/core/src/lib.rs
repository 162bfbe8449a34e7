//! The domain vocabulary every other Kurobe crate speaks: who is acting ([`Principal`]),
//! what role they hold in an organisation ([`Role`]), what that lets them do
//! ([`Permission`]) and how an audited action ended ([`AuditOutcome`]).
//!
//! Nothing here performs I/O; the store and the server decide *how* to load a principal,
//! this crate decides *what it may do*.

mod audit;
mod permission;
mod principal;
mod role;

pub use audit::{AuditOutcome, UnknownOutcome};
pub use permission::{Permission, UnknownPermission};
pub use principal::{Credential, Principal};
pub use role::{Role, UnknownRole};
