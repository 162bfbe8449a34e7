//! API keys shaped `kb_<id>_<secret>`: the id (32 hex digits) finds the row, the secret
//! (256 random bits, base64url) proves possession. Only SHA-256 of the secret is stored.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::{RngCore, rngs::OsRng};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

pub const PREFIX: &str = "kb_";
const SECRET_BYTES: usize = 32;

/// A freshly generated key: the full text is shown once, the digest is stored.
#[derive(Debug)]
pub struct GeneratedKey {
    pub id: Uuid,
    pub full: String,
    pub digest: [u8; 32],
}

pub fn generate() -> GeneratedKey {
    let id = Uuid::new_v4();
    let mut secret = [0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut secret);
    let secret = URL_SAFE_NO_PAD.encode(secret);
    GeneratedKey { id, full: format!("{PREFIX}{}_{secret}", id.simple()), digest: digest(&secret) }
}

/// The public part of a key, `kb_<id>`, as shown in listings.
pub fn display_prefix(id: Uuid) -> String {
    format!("{PREFIX}{}", id.simple())
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Splits a presented key into its id and secret; `None` when it is not shaped like a key.
pub fn parse(presented: &str) -> Option<(Uuid, &str)> {
    let rest = presented.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    if id.len() != 32 || secret.len() != 43 {
        return None;
    }
    Some((Uuid::try_parse(id).ok()?, secret))
}

/// Compares in constant time, so timing does not leak how much of a guess was right.
pub fn matches(secret: &str, stored_digest: &[u8]) -> bool {
    digest(secret).ct_eq(stored_digest).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_match() {
        let key = generate();
        let (id, secret) = parse(&key.full).unwrap();
        assert_eq!(id, key.id);
        assert!(matches(secret, &key.digest));
        let mut wrong = secret.to_owned();
        wrong.replace_range(0..1, if secret.starts_with('A') { "B" } else { "A" });
        assert!(!matches(&wrong, &key.digest));
        assert!(key.full.starts_with(&display_prefix(key.id)));
    }

    #[test]
    fn malformed_keys_do_not_parse() {
        for bad in ["", "kb_", "kb_zz_yy", "sk_00000000000000000000000000000000_x", "kb_ä"] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
