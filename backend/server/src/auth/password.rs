//! Password hashing with argon2id (the `argon2` crate's defaults follow OWASP's
//! recommendation: 19 MiB, 2 passes). Hashing is CPU-bound, so it runs on the blocking pool.

use std::sync::LazyLock;

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};

pub const MIN_LENGTH: usize = 12;
/// Long enough for any passphrase, short enough that hashing cannot be used to burn CPU.
pub const MAX_LENGTH: usize = 256;

/// Checked against when the account does not exist, so an unknown email costs as much time
/// as a wrong password and response times do not reveal which accounts exist.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_blocking("kurobe-dummy-password").unwrap_or_default());

/// Why a new password is refused.
pub fn weakness(password: &str, email: &str) -> Option<String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        Some(format!("password must have at least {MIN_LENGTH} characters"))
    } else if length > MAX_LENGTH {
        Some(format!("password must have at most {MAX_LENGTH} characters"))
    } else if password.eq_ignore_ascii_case(email) {
        Some("password must not be the email address".into())
    } else {
        None
    }
}

fn hash_blocking(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

pub async fn hash(password: String) -> anyhow::Result<String> {
    let hashed = tokio::task::spawn_blocking(move || hash_blocking(&password)).await?;
    hashed.map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
}

/// Whether `password` matches `stored` (a PHC string). With no stored hash the check still
/// does the work of one, and fails.
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    Ok(tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let Ok(parsed) = PasswordHash::new(&phc) else { return false };
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && known
    })
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn round_trip_and_argon2id() {
        let stored = hash("correct horse battery".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(verify("correct horse battery".into(), Some(stored.clone())).await.unwrap());
        assert!(!verify("correct horse batterY".into(), Some(stored)).await.unwrap());
        assert!(!verify("kurobe-dummy-password".into(), None).await.unwrap());
    }

    #[test]
    fn weak_passwords_are_named() {
        assert!(weakness("short", "a@b.c").unwrap().contains("at least 12"));
        assert!(weakness("ada@example.com", "ada@example.com").is_some());
        assert!(weakness(&"x".repeat(300), "a@b.c").unwrap().contains("at most"));
        assert!(weakness("a long enough passphrase", "a@b.c").is_none());
    }
}
