//! Account operations shared by the HTTP routes and the admin command line, each run inside
//! a caller's transaction so the caller can audit it in the same commit.

use chrono::{DateTime, Utc};
use kurobe_api::ErrorCode;
use kurobe_core::Permission;
use kurobe_store::{ApiKeyRecord, NewApiKey, Scoped, StoreError, UserRecord};
use uuid::Uuid;

use crate::{
    auth::{api_key, password},
    http::ApiError,
    settings::SecuritySettings,
};

/// Trims and lower-cases an email, and checks it has the shape of one.
pub fn normalise_email(raw: &str) -> Result<String, ApiError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 320
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
    if valid { Ok(email) } else { Err(ApiError::invalid(format!("`{}` is not an email address", truncate(raw, 80)))) }
}

/// Refuses to make, through the API, the account of an email that `security.operators` lists
/// while it has none: whoever claimed it first (by signing up, or as a member an organisation
/// adds) would operate the server. An operator's account is made with `kurobe user create`;
/// once it exists, the usual answers (`email_taken`, adding it as a member) apply. The
/// transaction's context must name `email` as its login email.
pub async fn refuse_new_operator_account(
    tx: &mut Scoped,
    security: &SecuritySettings,
    email: &str,
) -> Result<(), ApiError> {
    if security.is_operator(email) && tx.user_by_email(email).await?.is_none() {
        return Err(ApiError::forbidden(
            "this email names one of the server's operators: its account is made with `kurobe user create`, \
             not through the API",
        ));
    }
    Ok(())
}

/// Checks a display or organisation name: 1 to 200 characters after trimming.
pub fn normalise_name(field: &str, raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    let length = name.chars().count();
    if (1..=200).contains(&length) && !name.chars().any(char::is_control) {
        Ok(name.to_owned())
    } else {
        Err(ApiError::invalid(format!("{field} must have 1 to 200 printable characters")))
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Creates a user with a password. The transaction's context must name `email` as its
/// login email, which is what the users policy admits.
pub async fn create_user(
    tx: &mut Scoped,
    email: &str,
    display_name: Option<&str>,
    new_password: &str,
) -> Result<UserRecord, ApiError> {
    if let Some(reason) = password::weakness(new_password, email) {
        return Err(ApiError::invalid(reason));
    }
    let hash = password::hash(new_password.to_owned()).await.map_err(ApiError::Internal)?;
    tx.create_user(Uuid::new_v4(), email, display_name, Some(&hash)).await.map_err(|err| match err.constraint() {
        Some("users_email_key") => ApiError::Conflict {
            code: ErrorCode::EmailTaken,
            message: "an account with this email already exists".into(),
        },
        _ => err.into(),
    })
}

/// A new API key, and the only copy of its secret.
#[derive(Debug)]
pub struct IssuedKey {
    pub full: String,
    pub record: ApiKeyRecord,
}

/// Issues a key for `created_by` in the transaction's organisation.
pub async fn issue_api_key(
    tx: &mut Scoped,
    created_by: Uuid,
    name: &str,
    scopes: &[Permission],
    expires_at: Option<DateTime<Utc>>,
) -> Result<IssuedKey, ApiError> {
    let name = normalise_name("name", name)?;
    if expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(ApiError::invalid("expires_at must be in the future"));
    }
    if scopes.is_empty() {
        return Err(ApiError::invalid("a key needs at least one scope"));
    }
    let generated = api_key::generate();
    let record = tx
        .create_api_key(NewApiKey {
            id: generated.id,
            created_by,
            name: &name,
            secret_digest: &generated.digest,
            scopes,
            expires_at,
        })
        .await
        .map_err(|err: StoreError| ApiError::from(err))?;
    Ok(IssuedKey { full: generated.full, record })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_or_refused() {
        assert_eq!(normalise_email("  Ada@Example.COM ").unwrap(), "ada@example.com");
        for bad in ["", "ada", "@example.com", "ada@", "ada@example", "a b@example.com", "ada@.com", "a@b@c.d"] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
        assert!(normalise_email(&format!("{}@example.com", "a".repeat(400))).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(normalise_name("name", "  Acme ").unwrap(), "Acme");
        assert!(normalise_name("name", "   ").is_err());
        assert!(normalise_name("name", &"x".repeat(201)).is_err());
        assert!(normalise_name("name", "bad\u{0}name").is_err());
    }
}
