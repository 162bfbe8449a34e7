//! Configuration: built-in defaults, then `config/kurobe.yaml` (or the file named by
//! `KUROBE_CONFIG`), then environment variables (`KUROBE_SECTION__KEY`, plus the conventional
//! `DATABASE_URL`, `REDIS_URL`, `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME` and
//! `SENTRY_DSN`). Every variable is documented in `config.sample.env`.

use std::{net::SocketAddr, path::Path};

use figment::{
    Figment,
    providers::{Env, Format, Yaml},
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::crypto::{MasterKeyError, MasterKeys};

/// Environment variables under the `KUROBE_` prefix that belong to clients (the SDKs and the
/// CLI's remote mode), not to the server, and so are not configuration keys.
const CLIENT_VARIABLES: &[&str] = &[
    "API_KEY",
    "BASE_URL",
    "CONFIG",
    // The scripts' own: start.sh, the test and CI scripts.
    "CACHE",
    "HOME",
    "PORT",
    "PG_PORT",
    "REDIS_PORT",
    "WEB",
    "WEB_PORT",
    "BUILD_PROFILE",
    "DEMO_SCALE",
    "CI_CACHE",
];

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub server: ServerSettings,
    #[serde(default)]
    pub database: DatabaseSettings,
    #[serde(default)]
    pub redis: RedisSettings,
    #[serde(default)]
    pub security: SecuritySettings,
    #[serde(default)]
    pub auth: AuthSettings,
    #[serde(default)]
    pub log: LogSettings,
    #[serde(default)]
    pub connectors: ConnectorSettings,
    #[serde(default)]
    pub jobs: JobSettings,
    #[serde(default)]
    pub engines: EngineSettings,
    #[serde(default)]
    /// Named `result_cache` rather than `cache`: scripts export `KUROBE_CACHE` (their
    /// download folder), which would otherwise overwrite this section.
    pub result_cache: ResultCacheSettings,
    #[serde(default)]
    pub rate_limits: RateLimitSettings,
    #[serde(default)]
    pub tenant_cache: TenantCacheSettings,
    #[serde(default)]
    pub telemetry: TelemetrySettings,
}

/// Traces to an OpenTelemetry collector and errors to Sentry; each is off until its
/// address is given.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct TelemetrySettings {
    /// The base URL of an OTLP/HTTP collector (`http://collector:4318`); spans go to
    /// `<endpoint>/v1/traces` as protobuf. `OTEL_EXPORTER_OTLP_ENDPOINT` is read too.
    pub otlp_endpoint: Option<String>,
    /// The `service.name` of the exported spans. `OTEL_SERVICE_NAME` is read too.
    pub service_name: String,
    /// The share of new traces exported, from 0 to 1. A trace a caller started (its
    /// `traceparent` header) keeps the caller's decision.
    pub sample_ratio: f64,
    /// Where errors (5xx responses, panics, error logs) are reported. `SENTRY_DSN` is read too.
    pub sentry_dsn: Option<SecretString>,
    /// The environment Sentry files the errors under (`production`, `staging`).
    pub environment: String,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            otlp_endpoint: None,
            service_name: "kurobe".into(),
            sample_ratio: 1.0,
            sentry_dsn: None,
            environment: "production".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct EngineSettings {
    /// The engine registry file, watched for changes; without one every kind uses the
    /// offline engine.
    pub file: Option<std::path::PathBuf>,
    /// How often the file is checked for changes.
    pub watch_interval_ms: u64,
    /// Where the semantic models of data sources are (`<name>.yaml`); a data source
    /// without one gets a model drafted from its schema.
    pub semantic_dir: std::path::PathBuf,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self { file: None, watch_interval_ms: 500, semantic_dir: "config/semantic".into() }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RateLimitSettings {
    /// Requests per second from one client address, before authentication; 0 turns the
    /// limit off.
    pub per_ip_per_second: u32,
    /// How many requests one address may send at once above that rate.
    pub ip_burst: u32,
    /// Requests per minute per API key or signed-in user, unless the organisation chose
    /// another quota; 0 turns the limit off.
    pub per_credential_per_minute: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self { per_ip_per_second: 1_000, ip_burst: 2_000, per_credential_per_minute: 6_000 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct TenantCacheSettings {
    /// How long API keys, members, data source records, verified examples and organisation
    /// settings are kept in memory. A change through any instance retires them at once
    /// where Redis carries the notice, else within this time; 0 reads them from Postgres on
    /// every request.
    pub ttl_seconds: u32,
}

impl Default for TenantCacheSettings {
    fn default() -> Self {
        Self { ttl_seconds: 10 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ResultCacheSettings {
    /// How much memory the in-process tier of the result cache may hold, in bytes.
    pub memory_bytes: u64,
}

impl Default for ResultCacheSettings {
    fn default() -> Self {
        Self { memory_bytes: 256 * 1024 * 1024 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ConnectorSettings {
    /// The only folders DuckDB data sources may live in. Tenants name files; without this
    /// fence they could name any file the server can read.
    pub duckdb_dirs: Vec<std::path::PathBuf>,
    /// How often every data source's connection is checked.
    pub health_interval_seconds: u64,
}

impl Default for ConnectorSettings {
    fn default() -> Self {
        Self { duckdb_dirs: vec!["data".into()], health_interval_seconds: 60 }
    }
}

/// Background jobs. Schedules are cron expressions with seconds
/// (`sec min hour day-of-month month day-of-week`), in `timezone`; an empty one leaves the
/// job to be run by hand.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct JobSettings {
    /// Whether this server runs the job workers and schedules. A job asked for through the
    /// admin API is queued either way and runs on a server that has them enabled.
    pub enabled: bool,
    /// An IANA time zone name, for the schedules.
    pub timezone: String,
    /// Every data source's schema introspected again (bumping its generation).
    pub schema_refresh_schedule: String,
    /// Pinned saved questions re-run so the next analyst finds them in the cache; keep it
    /// shorter than the data sources' `cache_ttl_seconds`.
    pub cache_warm_schedule: String,
    /// Audit rows older than `audit_retention_days` purged, the chains kept verifiable.
    /// Needs `database.migration_url` (the owner role); without it the job is off.
    pub audit_retention_schedule: String,
    /// 0 keeps every row.
    pub audit_retention_days: u32,
    /// Attempts of a run before it fails for good; retries back off from 1 s to 60 s.
    pub max_attempts: u32,
    /// How long one attempt may take.
    pub timeout_seconds: u64,
    /// How often workers look for runs whose retry is due (new runs wake them at once).
    pub poll_seconds: u64,
    /// How long finished runs stay listed.
    pub keep_runs_days: u32,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            timezone: "UTC".into(),
            schema_refresh_schedule: "0 0 3 * * *".into(),
            cache_warm_schedule: "0 */5 * * * *".into(),
            audit_retention_schedule: "0 30 3 * * *".into(),
            audit_retention_days: 365,
            max_attempts: 3,
            timeout_seconds: 900,
            poll_seconds: 5,
            keep_runs_days: 14,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ServerSettings {
    pub bind: SocketAddr,
    /// The largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy you control).
    pub trust_forwarded_for: bool,
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub shutdown_grace_seconds: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8000)),
            body_limit_bytes: 1024 * 1024,
            trust_forwarded_for: false,
            shutdown_grace_seconds: 30,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    /// The server's connection: the `kurobe_app` role, bound by row-level security.
    pub url: Option<SecretString>,
    /// The owner role's connection, used only to apply migrations.
    pub migration_url: Option<SecretString>,
    pub max_connections: u32,
    /// Apply pending migrations at start when `migration_url` is set.
    pub migrate_on_start: bool,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self { url: None, migration_url: None, max_connections: 32, migrate_on_start: true }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RedisSettings {
    /// Without a URL Kurobe runs without a shared cache.
    pub url: Option<SecretString>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SecuritySettings {
    /// The HS256 key that signs access tokens: at least 32 random bytes.
    pub jwt_secret: Option<SecretString>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub jwt_ttl_seconds: i64,
    /// Versioned AES-256 keys for data-source credentials: `1:<base64>,2:<base64>`.
    pub master_keys: Option<SecretString>,
    /// The emails of the server's operators (`[ops@example.com]` in the environment). The
    /// engines file serves every organisation, so only an operator reloads it or reads where
    /// it lives and why a reload was refused; organisation administrators see its engines.
    pub operators: Vec<String>,
}

impl SecuritySettings {
    /// Whether the user with this email operates the server (case-insensitive).
    pub fn is_operator(&self, email: &str) -> bool {
        self.operators.iter().any(|operator| operator.trim().eq_ignore_ascii_case(email))
    }
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            jwt_issuer: "kurobe".into(),
            jwt_audience: "authenticated".into(),
            jwt_ttl_seconds: 3600,
            master_keys: None,
            operators: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    /// Whether anyone may create an account and organisation with `POST /v1/auth/signup`.
    pub allow_signup: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self { allow_signup: true }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `kurobe_server=debug,info`.
    pub filter: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        // sqlx reports Postgres notices (such as "already exists, skipping") at info.
        Self { format: LogFormat::Json, filter: "info,sqlx::postgres::notice=warn".into() }
    }
}

/// The settings after loading, and the keys that were given but mean nothing.
#[derive(Debug)]
pub struct Loaded {
    pub settings: Settings,
    pub unknown_keys: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
    #[error(
        "{key} ({env}) is not set. Generate one with `{generate}` and put it in the environment \
         or in the configuration file; ./start.sh does this for you."
    )]
    MissingSecret { key: &'static str, env: &'static str, generate: &'static str },
    #[error(
        "{key} ({env}) is too weak: {reason}. Kurobe refuses to start with a guessable key, because \
         anyone who knows it can forge sessions. Generate one with `{generate}`."
    )]
    WeakSecret { key: &'static str, env: &'static str, reason: String, generate: &'static str },
    #[error("security.master_keys (KUROBE_SECURITY__MASTER_KEYS) is invalid: {0}")]
    MasterKeys(#[from] MasterKeyError),
    #[error("database.url (KUROBE_DATABASE__URL or DATABASE_URL) is not set: it must name the kurobe_app role")]
    MissingDatabase,
    #[error(
        "security.operators (KUROBE_SECURITY__OPERATORS) lists `{0}`, which is not an email; \
         operators are named by their account's email"
    )]
    InvalidOperator(String),
}

const JWT_GENERATE: &str = "openssl rand -base64 48";
/// Values that appear in samples and tutorials; a key equal to one of them is public.
const KNOWN_DEFAULT_SECRETS: &[&str] = &[
    "change-me",
    "changeme",
    "secret",
    "your-secret-key",
    "super-secret-jwt-token-with-at-least-32-characters-long",
    "replace-with-openssl-rand-base64-48-output-xxxxxxxxxx",
];

impl Settings {
    /// Loads the layered configuration. `file` overrides the default path.
    pub fn load(file: Option<&Path>) -> Result<Loaded, SettingsError> {
        let path = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("KUROBE_CONFIG").map(Into::into))
            .unwrap_or_else(|| "config/kurobe.yaml".into());
        Self::from_figment(&Self::figment(&path))
    }

    pub fn figment(path: &Path) -> Figment {
        Figment::new()
            .merge(Yaml::file(path))
            .merge(Env::raw().only(&["DATABASE_URL"]).map(|_| "database.url".into()))
            .merge(Env::raw().only(&["REDIS_URL"]).map(|_| "redis.url".into()))
            .merge(Env::raw().only(&["OTEL_EXPORTER_OTLP_ENDPOINT"]).map(|_| "telemetry.otlp_endpoint".into()))
            .merge(Env::raw().only(&["OTEL_SERVICE_NAME"]).map(|_| "telemetry.service_name".into()))
            .merge(Env::raw().only(&["SENTRY_DSN"]).map(|_| "telemetry.sentry_dsn".into()))
            .merge(Env::prefixed("KUROBE_").ignore(CLIENT_VARIABLES).split("__"))
    }

    pub fn from_figment(figment: &Figment) -> Result<Loaded, SettingsError> {
        let settings: Settings = figment.extract().map_err(Box::new)?;
        let mut unknown_keys = Vec::new();
        // A second, lenient pass through serde_ignored finds the keys `Settings` ignored.
        if let Ok(value) = figment.extract::<serde_json::Value>() {
            let _: Result<Settings, _> = serde_ignored::deserialize(value, |path| unknown_keys.push(path.to_string()));
        }
        Ok(Loaded { settings, unknown_keys })
    }

    /// Checks everything the server needs to start safely, with a message that says how to
    /// fix each problem.
    pub fn validate_for_serving(&self) -> Result<MasterKeys, SettingsError> {
        if self.database.url.is_none() {
            return Err(SettingsError::MissingDatabase);
        }
        check_jwt_secret(self.security.jwt_secret.as_ref())?;
        if let Some(bad) = self.security.operators.iter().find(|o| !o.trim().contains('@')) {
            return Err(SettingsError::InvalidOperator(bad.clone()));
        }
        let keys = self.security.master_keys.as_ref().ok_or(SettingsError::MissingSecret {
            key: "security.master_keys",
            env: "KUROBE_SECURITY__MASTER_KEYS",
            generate: "echo 1:$(openssl rand -base64 32)",
        })?;
        Ok(MasterKeys::parse(keys.expose_secret())?)
    }
}

fn check_jwt_secret(secret: Option<&SecretString>) -> Result<(), SettingsError> {
    const KEY: &str = "security.jwt_secret";
    const ENV: &str = "KUROBE_SECURITY__JWT_SECRET";
    let secret = secret
        .map(|s| s.expose_secret().trim())
        .filter(|s| !s.is_empty())
        .ok_or(SettingsError::MissingSecret { key: KEY, env: ENV, generate: JWT_GENERATE })?;
    let weak = |reason: String| SettingsError::WeakSecret { key: KEY, env: ENV, reason, generate: JWT_GENERATE };
    if KNOWN_DEFAULT_SECRETS.iter().any(|known| known.eq_ignore_ascii_case(secret)) {
        return Err(weak("it is a published default".into()));
    }
    if secret.len() < 32 {
        return Err(weak(format!("it has {} characters and needs at least 32", secret.len())));
    }
    let mut distinct: Vec<char> = secret.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 10 {
        return Err(weak("it repeats too few distinct characters to be random".into()));
    }
    Ok(())
}

#[cfg(test)]
// Jail's closures return figment's own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use figment::Jail;

    use super::*;

    const GOOD_JWT: &str = "3q2+7wZ8yKJtq0lP1mN4bV6cX9zR5sT2uW8eY1aD0fG=";
    const GOOD_KEYS: &str = "1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    /// Loads in a jail whose environment starts empty, whatever the test runner's has.
    fn load(jail: &Jail) -> Result<Loaded, SettingsError> {
        Settings::from_figment(&Settings::figment(&jail.directory().join("kurobe.yaml")))
    }

    #[test]
    fn environment_overrides_file_overrides_defaults() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file("kurobe.yaml", "server:\n  bind: 0.0.0.0:9000\n  body_limit_bytes: 10\n")?;
            jail.set_env("KUROBE_SERVER__BODY_LIMIT_BYTES", "20");
            let loaded = load(jail).unwrap();
            assert_eq!(loaded.settings.server.bind.port(), 9000);
            assert_eq!(loaded.settings.server.body_limit_bytes, 20);
            assert_eq!(loaded.settings.database.max_connections, 32);
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_reported_and_client_variables_are_not() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file("kurobe.yaml", "server:\n  bnd: 0.0.0.0:9000\n")?;
            jail.set_env("KUROBE_REDIS__URLL", "redis://x");
            jail.set_env("KUROBE_API_KEY", "kb_x");
            jail.set_env("KUROBE_CACHE", "/var/cache/kurobe");
            jail.set_env("KUROBE_HOME", ".kurobe/dev");
            let mut unknown = load(jail).unwrap().unknown_keys;
            unknown.sort();
            assert_eq!(unknown, vec!["redis.urll", "server.bnd"]);
            Ok(())
        });
    }

    #[test]
    fn database_url_falls_back_to_the_conventional_variable() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("DATABASE_URL", "postgres://a@b/c");
            let settings = load(jail).unwrap().settings;
            assert_eq!(settings.database.url.unwrap().expose_secret(), "postgres://a@b/c");
            Ok(())
        });
    }

    #[test]
    fn telemetry_reads_the_standard_variables_and_ours_win() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
            jail.set_env("OTEL_SERVICE_NAME", "kurobe-eu");
            jail.set_env("SENTRY_DSN", "https://key@sentry.example/7");
            let loaded = load(jail).unwrap();
            let telemetry = &loaded.settings.telemetry;
            assert_eq!(telemetry.otlp_endpoint.as_deref(), Some("http://collector:4318"));
            assert_eq!(telemetry.service_name, "kurobe-eu");
            assert_eq!(telemetry.sentry_dsn.as_ref().unwrap().expose_secret(), "https://key@sentry.example/7");
            assert!(loaded.unknown_keys.is_empty(), "{:?}", loaded.unknown_keys);

            jail.set_env("KUROBE_TELEMETRY__OTLP_ENDPOINT", "http://other:4318");
            let settings = load(jail).unwrap().settings;
            assert_eq!(settings.telemetry.otlp_endpoint.as_deref(), Some("http://other:4318"));
            Ok(())
        });
    }

    #[test]
    fn secrets_never_print() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("KUROBE_SECURITY__JWT_SECRET", GOOD_JWT);
            jail.set_env("DATABASE_URL", "postgres://kurobe_app:hunter2hunter2@db/kurobe");
            let printed = format!("{:?}", load(jail).unwrap().settings);
            assert!(!printed.contains(GOOD_JWT) && !printed.contains("hunter2"), "{printed}");
            Ok(())
        });
    }

    #[test]
    fn start_is_refused_without_strong_secrets() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("DATABASE_URL", "postgres://a@b/c");
            jail.set_env("KUROBE_SECURITY__MASTER_KEYS", GOOD_KEYS);
            let refused = |jail: &Jail| load(jail).unwrap().settings.validate_for_serving().unwrap_err().to_string();

            assert!(refused(jail).contains("KUROBE_SECURITY__JWT_SECRET) is not set"));
            jail.set_env("KUROBE_SECURITY__JWT_SECRET", "change-me");
            assert!(refused(jail).contains("published default"));
            jail.set_env("KUROBE_SECURITY__JWT_SECRET", "short-but-random-9x");
            assert!(refused(jail).contains("needs at least 32"));
            jail.set_env("KUROBE_SECURITY__JWT_SECRET", "ab".repeat(20));
            assert!(refused(jail).contains("distinct characters"));

            jail.set_env("KUROBE_SECURITY__JWT_SECRET", GOOD_JWT);
            jail.set_env("KUROBE_SECURITY__MASTER_KEYS", "1:dG9vIHNob3J0");
            assert!(refused(jail).contains("32 bytes"));
            jail.set_env("KUROBE_SECURITY__MASTER_KEYS", GOOD_KEYS);
            assert!(load(jail).unwrap().settings.validate_for_serving().is_ok());
            Ok(())
        });
    }

    #[test]
    fn operators_come_from_the_environment_and_must_be_emails() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("DATABASE_URL", "postgres://a@b/c");
            jail.set_env("KUROBE_SECURITY__JWT_SECRET", GOOD_JWT);
            jail.set_env("KUROBE_SECURITY__MASTER_KEYS", GOOD_KEYS);
            jail.set_env("KUROBE_SECURITY__OPERATORS", "[Ops@Example.com, root@example.com]");
            let settings = load(jail).unwrap().settings;
            assert!(
                settings.security.is_operator("ops@example.com") && settings.security.is_operator("ROOT@example.com")
            );
            assert!(!settings.security.is_operator("admin@example.com"));
            assert!(settings.validate_for_serving().is_ok());

            jail.set_env("KUROBE_SECURITY__OPERATORS", "[ops]");
            let refused = load(jail).unwrap().settings.validate_for_serving().unwrap_err().to_string();
            assert!(refused.contains("lists `ops`, which is not an email"), "{refused}");
            Ok(())
        });
    }
}
