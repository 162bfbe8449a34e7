//! Secrets out of what leaves for the error tracker. Two nets, because an error's cause
//! can quote a credential the settings never held (a data source's password, a caller's
//! token): the secret values this server was configured with, replaced wherever they
//! appear; and the shapes secrets take — bearer tokens, Kurobe API keys, JWTs, provider
//! keys, passwords in URLs and in `key=value` pairs, and any field named like a secret.

use std::borrow::Cow;

use regex::Regex;
use secrecy::{ExposeSecret as _, SecretString};
use sentry::protocol::Event;
use serde_json::Value;

use crate::{auth::api_key, settings::Settings};

const REDACTED: &str = "[redacted]";

/// Field names whose values are never sent, whatever they hold.
const SECRET_FIELDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "cookie",
    "api_key",
    "apikey",
    "credential",
    "master_key",
    "dsn",
];

pub(super) struct Scrubber {
    /// The configured secrets, longest first, so a URL goes whole before its password.
    known: Vec<String>,
    shapes: Vec<(Regex, &'static str)>,
}

impl Scrubber {
    pub fn new(settings: &Settings) -> Self {
        let mut known = Vec::new();
        let urls = [&settings.database.url, &settings.database.migration_url, &settings.redis.url];
        for url in urls.into_iter().flatten().map(SecretString::expose_secret) {
            known.push(url.to_owned());
            if let Some(password) = url::Url::parse(url).ok().and_then(|u| u.password().map(str::to_owned)) {
                // As written in the URL and as a client would print it, decoded.
                if let Ok(decoded) = percent_encoding::percent_decode_str(&password).decode_utf8() {
                    known.push(decoded.into_owned());
                }
                known.push(password);
            }
        }
        if let Some(secret) = &settings.security.jwt_secret {
            known.push(secret.expose_secret().trim().to_owned());
        }
        if let Some(keys) = &settings.security.master_keys {
            let keys = keys.expose_secret();
            known.push(keys.to_owned());
            // Each `VERSION:BASE64` entry's key on its own.
            known.extend(
                keys.split(',').filter_map(|entry| entry.split_once(':')).map(|(_, key)| key.trim().to_owned()),
            );
        }
        known.retain(|secret| !secret.is_empty());
        known.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
        known.dedup();
        Self { known, shapes: shapes() }
    }

    /// The event as it may leave, or `None` (not sent) should it not survive scrubbing.
    pub fn event(&self, event: Event<'static>) -> Option<Event<'static>> {
        let mut value = serde_json::to_value(&event).ok()?;
        self.value(&mut value);
        serde_json::from_value(value).ok()
    }

    fn value(&self, value: &mut Value) {
        match value {
            Value::String(text) => {
                if let Cow::Owned(clean) = self.text(text) {
                    *text = clean;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.value(item)),
            Value::Object(fields) => {
                for (name, field) in fields.iter_mut() {
                    if is_secret_field(name) && !field.is_null() {
                        *field = Value::String(REDACTED.into());
                    } else {
                        self.value(field);
                    }
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut text = Cow::Borrowed(text);
        for secret in &self.known {
            if text.contains(secret.as_str()) {
                text = Cow::Owned(text.replace(secret.as_str(), REDACTED));
            }
        }
        for (shape, replacement) in &self.shapes {
            if let Cow::Owned(clean) = shape.replace_all(&text, *replacement) {
                text = Cow::Owned(clean);
            }
        }
        text
    }
}

fn is_secret_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_FIELDS.iter().any(|secret| name.contains(secret))
}

fn shapes() -> Vec<(Regex, &'static str)> {
    let prefix = api_key::PREFIX;
    [
        // scheme://user:password@host
        (r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*):[^\s/@]+@", "${1}:[redacted]@"),
        (r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+", "${1} [redacted]"),
        (r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", REDACTED),
        (&format!(r"\b{prefix}[A-Za-z0-9_-]+"), "kb_[redacted]"),
        // OpenAI, Anthropic and Langfuse secret keys.
        (r"\bsk-[A-Za-z0-9_-]{8,}", "sk-[redacted]"),
        // password=…, "api_key": "…", token: …
        (
            r#"(?i)\b(password|passwd|pwd|secret|token|api[_-]?key)(["']?\s*[=:]\s*["']?)[^\s"',;&}]+"#,
            "${1}${2}[redacted]",
        ),
    ]
    .into_iter()
    .map(|(pattern, replacement)| (Regex::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}")), replacement))
    .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use sentry::protocol::{Exception, Values};

    use super::*;

    const DB_PASSWORD: &str = "pg-pass%40word-7Qx";
    const JWT_SECRET: &str = "test-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz";
    const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const REDIS_PASSWORD: &str = "redis-pass-91";
    const API_KEY: &str = "kb_0123456789abcdef0123456789abcdef_Zm9vYmFyYmF6cXV4LW5vdC1yZWFsLXNlY3JldA";
    const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLW5vdC1yZWFs";

    fn settings() -> Settings {
        let mut settings = Settings::default();
        settings.database.url = Some(format!("postgres://kurobe_app:{DB_PASSWORD}@db:5432/kurobe").into());
        settings.redis.url = Some(format!("redis://:{REDIS_PASSWORD}@cache:6379").into());
        settings.security.jwt_secret = Some(JWT_SECRET.into());
        settings.security.master_keys = Some(format!("1:{MASTER_KEY}").into());
        settings
    }

    fn scrubbed(event: Event<'static>) -> String {
        let event = Scrubber::new(&settings()).event(event).expect("the event survives");
        serde_json::to_string(&event).unwrap()
    }

    #[test]
    fn configured_secrets_and_secret_shapes_are_removed_everywhere() {
        let mut extra = BTreeMap::new();
        extra.insert("error".to_owned(), Value::String(format!("connecting: password={DB_PASSWORD} refused")));
        extra.insert("dsn".to_owned(), Value::String("anything at all".into()));
        extra.insert(
            "nested".to_owned(),
            serde_json::json!({ "list": [format!("Authorization: Bearer {TOKEN}"), format!("key {API_KEY}")] }),
        );
        let event = Event {
            message: Some(format!("master key {MASTER_KEY} and signing key {JWT_SECRET} in one line")),
            exception: Values::from(vec![Exception {
                ty: "Error".into(),
                value: Some(format!(
                    "redis://:{REDIS_PASSWORD}@cache:6379 down; warehouse at postgres://bi:w4rehouse-pw@wh/db; \
                     provider said sk-ant-api03-abcdefghijklmnop; decoded pg-pass@word-7Qx"
                )),
                ..Default::default()
            }]),
            extra,
            tags: [("request_id".to_owned(), "req-1".to_owned())].into(),
            ..Default::default()
        };
        let sent = scrubbed(event);
        for secret in [
            DB_PASSWORD,
            "pg-pass@word-7Qx",
            JWT_SECRET,
            MASTER_KEY,
            REDIS_PASSWORD,
            API_KEY,
            TOKEN,
            "w4rehouse-pw",
            "abcdefghijklmnop",
            "anything at all",
        ] {
            assert!(!sent.contains(secret), "{secret} left in {sent}");
        }
        // What is not secret still says what happened.
        for kept in
            ["req-1", "in one line", "postgres://bi:[redacted]@wh/db", "connecting: password=[redacted] refused"]
        {
            assert!(sent.contains(kept), "{kept} missing from {sent}");
        }
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        let text = "the credentials cannot be decrypted (key version 1 of 2); 3 tokens left";
        assert_eq!(Scrubber::new(&settings()).text(text), text);
    }
}
