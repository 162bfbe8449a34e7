//! Who is calling: passwords, access tokens and API keys, each turned into a
//! [`kurobe_core::Principal`] only after the store confirmed a current membership.

pub mod api_key;
mod authenticate;
pub mod jwt;
pub mod password;

pub use authenticate::{AuthError, authenticate, member};
