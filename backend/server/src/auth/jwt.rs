//! Access tokens: HS256 JWTs with Supabase-compatible claims (`sub`, `aud`, `exp`, `role`)
//! plus the organisation they were issued for.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::settings::SecuritySettings;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: Uuid,
    pub aud: String,
    pub iss: String,
    pub exp: i64,
    pub iat: i64,
    /// The Postgres role name Supabase puts here; always `authenticated`.
    pub role: String,
    pub email: String,
    /// The organisation this session acts in.
    pub org_id: Uuid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is invalid")]
    Invalid,
}

/// Signing and verification keys, built once from the settings.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys").field("issuer", &self.issuer).field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

impl JwtKeys {
    /// Expects settings that passed `Settings::validate_for_serving`.
    pub fn new(settings: &SecuritySettings) -> Self {
        let secret =
            settings.jwt_secret.as_ref().map(|s| s.expose_secret().trim().as_bytes().to_vec()).unwrap_or_default();
        // Only HS256 is accepted: never `none`, never an algorithm the token itself picks.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[&settings.jwt_audience]);
        validation.set_issuer(&[&settings.jwt_issuer]);
        validation.set_required_spec_claims(&["exp", "sub", "aud", "iss"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            validation,
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
            ttl: Duration::seconds(settings.jwt_ttl_seconds),
        }
    }

    pub fn issue(&self, user_id: Uuid, email: &str, org_id: Uuid) -> anyhow::Result<(String, DateTime<Utc>)> {
        let now = Utc::now();
        let expires_at = now + self.ttl;
        let claims = Claims {
            sub: user_id,
            aud: self.audience.clone(),
            iss: self.issuer.clone(),
            exp: expires_at.timestamp(),
            iat: now.timestamp(),
            role: "authenticated".into(),
            email: email.to_owned(),
            org_id,
        };
        Ok((jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?, expires_at))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map(|data| data.claims).map_err(|e| {
            match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            }
        })
    }

    pub fn ttl_seconds(&self) -> i64 {
        self.ttl.num_seconds()
    }
}

#[cfg(test)]
mod tests {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    use secrecy::SecretString;

    use super::*;

    fn keys(secret: &str, ttl: i64) -> JwtKeys {
        JwtKeys::new(&SecuritySettings {
            jwt_secret: Some(SecretString::from(secret)),
            jwt_ttl_seconds: ttl,
            ..SecuritySettings::default()
        })
    }

    const SECRET: &str = "test-secret-0123456789-abcdefghijklmnop";

    #[test]
    fn issued_tokens_verify() {
        let keys = keys(SECRET, 60);
        let (token, _) = keys.issue(Uuid::nil(), "a@b.c", Uuid::max()).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!((claims.sub, claims.org_id, claims.aud.as_str()), (Uuid::nil(), Uuid::max(), "authenticated"));
    }

    #[test]
    fn expired_forged_and_unsigned_tokens_fail() {
        let (old, _) = keys(SECRET, -60).issue(Uuid::nil(), "a@b.c", Uuid::nil()).unwrap();
        assert_eq!(keys(SECRET, 60).verify(&old), Err(TokenError::Expired));

        let (forged, _) =
            keys("another-secret-0123456789-abcdefghijk", 60).issue(Uuid::nil(), "a@b.c", Uuid::nil()).unwrap();
        assert_eq!(keys(SECRET, 60).verify(&forged), Err(TokenError::Invalid));

        let (token, _) = keys(SECRET, 60).issue(Uuid::nil(), "a@b.c", Uuid::nil()).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let none = format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#));
        assert_eq!(keys(SECRET, 60).verify(&none), Err(TokenError::Invalid));
    }
}
