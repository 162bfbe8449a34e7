//! The versioned master keys that encrypt data-source credentials (AES-256-GCM).

use std::collections::BTreeMap;

use aes_gcm::{
    Aes256Gcm, Key, KeyInit, Nonce,
    aead::{Aead, AeadCore, OsRng, Payload},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use secrecy::{ExposeSecret, SecretSlice};

const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("no master key of version {0} is configured; add it back to security.master_keys")]
    UnknownVersion(u32),
    /// Wrong key, tampered ciphertext, or ciphertext moved to another row.
    #[error("the credentials cannot be decrypted")]
    Unsealable,
}

/// Every configured key by version; the highest version encrypts, all of them decrypt, so
/// keys can be rotated without downtime.
#[derive(Clone)]
pub struct MasterKeys {
    keys: BTreeMap<u32, SecretSlice<u8>>,
}

impl std::fmt::Debug for MasterKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKeys").field("versions", &self.keys.keys().collect::<Vec<_>>()).finish()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MasterKeyError {
    #[error("entry {0} is not of the form `VERSION:BASE64KEY` with a version from 1 up")]
    Malformed(usize),
    #[error("key version {0} appears twice")]
    DuplicateVersion(u32),
    #[error("key version {0} is not valid base64")]
    NotBase64(u32),
    #[error("key version {version} has {len} bytes; AES-256 needs exactly 32 bytes (`openssl rand -base64 32`)")]
    WrongLength { version: u32, len: usize },
    #[error("key version {0} is all zeros")]
    AllZero(u32),
    #[error("no key is configured")]
    Empty,
}

impl MasterKeys {
    pub fn parse(spec: &str) -> Result<Self, MasterKeyError> {
        let mut keys = BTreeMap::new();
        // Errors name entries by position, never by content: the content is key material.
        for (index, entry) in spec.split(',').map(str::trim).filter(|e| !e.is_empty()).enumerate() {
            let malformed = || MasterKeyError::Malformed(index + 1);
            let (version, key) = entry.split_once(':').ok_or_else(malformed)?;
            let version: u32 = version.trim().parse().map_err(|_| malformed())?;
            if version == 0 {
                return Err(malformed());
            }
            let bytes = STANDARD.decode(key.trim()).map_err(|_| MasterKeyError::NotBase64(version))?;
            if bytes.len() != 32 {
                return Err(MasterKeyError::WrongLength { version, len: bytes.len() });
            }
            if bytes.iter().all(|b| *b == 0) {
                return Err(MasterKeyError::AllZero(version));
            }
            if keys.insert(version, SecretSlice::from(bytes)).is_some() {
                return Err(MasterKeyError::DuplicateVersion(version));
            }
        }
        if keys.is_empty() {
            return Err(MasterKeyError::Empty);
        }
        Ok(Self { keys })
    }

    /// The version new ciphertexts are written under.
    pub fn active_version(&self) -> u32 {
        *self.keys.keys().next_back().unwrap_or(&0)
    }

    pub fn key(&self, version: u32) -> Option<&[u8]> {
        self.keys.get(&version).map(|k| k.expose_secret())
    }

    fn cipher(&self, version: u32) -> Result<Aes256Gcm, CryptoError> {
        let key = self.key(version).ok_or(CryptoError::UnknownVersion(version))?;
        Ok(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)))
    }

    /// Encrypts under the active key. `context` is bound as associated data, so the
    /// ciphertext only opens for the row it was sealed for. Returns `nonce || ciphertext`
    /// and the key version.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<(Vec<u8>, u32), CryptoError> {
        let version = self.active_version();
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher(version)?
            .encrypt(&nonce, Payload { msg: plaintext, aad: context })
            .map_err(|_| CryptoError::Unsealable)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok((sealed, version))
    }

    pub fn open(&self, version: u32, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < NONCE_LEN {
            return Err(CryptoError::Unsealable);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.cipher(version)?
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: context })
            .map_err(|_| CryptoError::Unsealable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn the_highest_version_is_active() {
        let keys = MasterKeys::parse(&format!("1:{K1}, 3:{K1}")).unwrap();
        assert_eq!(keys.active_version(), 3);
        assert_eq!(keys.key(1).unwrap().len(), 32);
        assert!(!format!("{keys:?}").contains(K1));
    }

    #[test]
    fn sealed_credentials_open_only_for_their_row_and_key() {
        let keys = MasterKeys::parse(&format!("1:{K1}")).unwrap();
        let (sealed, version) = keys.seal(b"hunter2", b"row-a").unwrap();
        assert_eq!(version, 1);
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(keys.open(1, &sealed, b"row-a").unwrap(), b"hunter2");
        assert_eq!(keys.open(1, &sealed, b"row-b").unwrap_err(), CryptoError::Unsealable);
        assert_eq!(keys.open(2, &sealed, b"row-a").unwrap_err(), CryptoError::UnknownVersion(2));
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(keys.open(1, &tampered, b"row-a").unwrap_err(), CryptoError::Unsealable);
        // Two seals of the same secret differ (fresh nonces).
        assert_ne!(keys.seal(b"hunter2", b"row-a").unwrap().0, sealed);
    }

    #[test]
    fn rotation_reads_old_versions_and_writes_the_newest() {
        let old = MasterKeys::parse(&format!("1:{K1}")).unwrap();
        let (sealed, _) = old.seal(b"secret", b"row").unwrap();
        let other = STANDARD.encode([7u8; 32]);
        let both = MasterKeys::parse(&format!("1:{K1},2:{other}")).unwrap();
        assert_eq!(both.open(1, &sealed, b"row").unwrap(), b"secret");
        let (resealed, version) = both.seal(b"secret", b"row").unwrap();
        assert_eq!((version, both.open(2, &resealed, b"row").unwrap()), (2, b"secret".to_vec()));
    }

    #[test]
    fn rejects_bad_keys_without_echoing_them() {
        assert_eq!(MasterKeys::parse("").unwrap_err(), MasterKeyError::Empty);
        assert_eq!(MasterKeys::parse("1:dG9v").unwrap_err(), MasterKeyError::WrongLength { version: 1, len: 3 });
        assert_eq!(MasterKeys::parse(&format!("1:{K1},1:{K1}")).unwrap_err(), MasterKeyError::DuplicateVersion(1));
        let zero = STANDARD.encode([0u8; 32]);
        assert_eq!(MasterKeys::parse(&format!("2:{zero}")).unwrap_err(), MasterKeyError::AllZero(2));
        let err = MasterKeys::parse(K1).unwrap_err().to_string();
        assert!(!err.contains("ODxAREhM"), "{err}");
    }
}
