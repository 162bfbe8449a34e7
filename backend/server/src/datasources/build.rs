use std::{path::Path, time::Duration};

use kurobe_api::datasources::{Credentials, DataSourceConfig, QueryLimits, TrinoAuthKind};
use kurobe_connector::{Connector, ConnectorError};
use kurobe_duckdb::{DuckDbConnector, DuckDbSource};
use kurobe_postgres::{PostgresConfig, PostgresConnector};
use kurobe_store::DataSourceRecord;
use kurobe_trino::{TrinoAuth, TrinoConfig, TrinoConnector};
use uuid::Uuid;

use crate::{
    crypto::{CryptoError, MasterKeys},
    settings::ConnectorSettings,
};

/// Why a data source cannot be used as configured.
#[derive(Debug, thiserror::Error)]
pub enum DataSourceError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Connector(#[from] ConnectorError),
}

/// Templates a context setting may use; rendered per request from the caller.
const TEMPLATE_VARIABLES: &[&str] = &["{{org.id}}", "{{user.id}}", "{{user.email}}", "{{user.role}}"];

/// The associated data that binds a data source's sealed credentials to its row.
pub fn context_aad(org_id: Uuid, id: Uuid) -> Vec<u8> {
    format!("kurobe:datasource:{org_id}:{id}").into_bytes()
}

/// Checks a configuration before it is stored.
pub fn validate_config(
    config: &DataSourceConfig,
    credentials: Option<&Credentials>,
    settings: &ConnectorSettings,
) -> Result<(), DataSourceError> {
    let invalid = |m: String| Err(DataSourceError::Invalid(m));
    match config {
        DataSourceConfig::Postgres { host, database, user, pool_size, context_settings, .. } => {
            if host.trim().is_empty() || database.trim().is_empty() || user.trim().is_empty() {
                return invalid("a Postgres data source needs host, database and user".into());
            }
            if pool_size.is_some_and(|n| !(1..=32).contains(&n)) {
                return invalid("pool_size must be between 1 and 32".into());
            }
            for (name, template) in context_settings {
                let mut rest = template.clone();
                for variable in TEMPLATE_VARIABLES {
                    rest = rest.replace(variable, "");
                }
                if rest.contains("{{") || rest.contains("}}") {
                    return invalid(format!(
                        "context setting `{name}` uses an unknown template; known: {}",
                        TEMPLATE_VARIABLES.join(", ")
                    ));
                }
            }
        }
        DataSourceConfig::DuckDb { path } => {
            duckdb_path(path, settings)?;
        }
        DataSourceConfig::Trino { url, user, catalog, auth, .. } => {
            if url.trim().is_empty() || user.trim().is_empty() || catalog.trim().is_empty() {
                return invalid("a Trino data source needs url, user and catalog".into());
            }
            let has = |f: fn(&Credentials) -> &Option<String>| credentials.is_some_and(|c| f(c).is_some());
            match auth {
                TrinoAuthKind::Basic if !has(|c| &c.password) => {
                    return invalid("basic authentication needs credentials.password".into());
                }
                TrinoAuthKind::Jwt if !has(|c| &c.token) => {
                    return invalid("JWT authentication needs credentials.token".into());
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Resolves a DuckDB path and requires it to be an existing file inside an allowed folder,
/// after symbolic links are followed.
fn duckdb_path(path: &str, settings: &ConnectorSettings) -> Result<std::path::PathBuf, DataSourceError> {
    let outside = || {
        DataSourceError::Invalid(format!(
            "`{path}` is not a DuckDB file inside the allowed folders (connectors.duckdb_dirs)"
        ))
    };
    let resolved = Path::new(path).canonicalize().map_err(|_| outside())?;
    let allowed =
        settings.duckdb_dirs.iter().filter_map(|dir| dir.canonicalize().ok()).any(|dir| resolved.starts_with(dir));
    if allowed && resolved.is_file() { Ok(resolved) } else { Err(outside()) }
}

pub fn parse_limits(raw: &serde_json::Value) -> QueryLimits {
    serde_json::from_value(raw.clone()).unwrap_or_default()
}

/// Checks limits sent by a client.
pub fn check_limits(limits: &QueryLimits) -> Result<(), DataSourceError> {
    if !(1..=300).contains(&limits.timeout_seconds) {
        return Err(DataSourceError::Invalid("limits.timeout_seconds must be between 1 and 300".into()));
    }
    if !(1..=1_000_000).contains(&limits.max_rows) {
        return Err(DataSourceError::Invalid("limits.max_rows must be between 1 and 1000000".into()));
    }
    if limits.cache_ttl_seconds > 86_400 {
        return Err(DataSourceError::Invalid("limits.cache_ttl_seconds must be between 0 and 86400".into()));
    }
    Ok(())
}

/// Opens the stored credentials of a data source.
pub fn open_credentials(record: &DataSourceRecord, keys: &MasterKeys) -> Result<Credentials, DataSourceError> {
    let Some((sealed, version)) = &record.credentials else { return Ok(Credentials::default()) };
    let version = u32::try_from(*version).map_err(|_| CryptoError::UnknownVersion(0))?;
    let plain = keys.open(version, sealed, &context_aad(record.org_id, record.id))?;
    serde_json::from_slice(&plain).map_err(|_| DataSourceError::Crypto(CryptoError::Unsealable))
}

/// Builds the live connector of a stored data source. Opening DuckDB touches the disk, so
/// this runs on the blocking pool.
pub async fn connect(
    record: &DataSourceRecord,
    keys: &MasterKeys,
    settings: &ConnectorSettings,
) -> Result<std::sync::Arc<dyn Connector>, DataSourceError> {
    let config: DataSourceConfig = serde_json::from_value(record.config.clone())
        .map_err(|e| DataSourceError::Invalid(format!("stored configuration unreadable: {e}")))?;
    let credentials = open_credentials(record, keys)?;
    Ok(match config {
        DataSourceConfig::Postgres { host, port, database, user, pool_size, .. } => {
            std::sync::Arc::new(PostgresConnector::new(&PostgresConfig {
                host,
                port,
                database,
                user,
                password: credentials.password,
                pool_size: pool_size.unwrap_or(4).into(),
                connect_timeout: Duration::from_secs(5),
            })?)
        }
        DataSourceConfig::DuckDb { path } => {
            let path = duckdb_path(&path, settings)?;
            let connector = tokio::task::spawn_blocking(move || DuckDbConnector::open(DuckDbSource::File(path)))
                .await
                .map_err(|e| ConnectorError::Internal(e.to_string()))??;
            std::sync::Arc::new(connector)
        }
        DataSourceConfig::Trino { url, user, catalog, schema, auth } => {
            let auth = match auth {
                TrinoAuthKind::None => TrinoAuth::None,
                TrinoAuthKind::Basic => TrinoAuth::Basic { password: credentials.password.unwrap_or_default() },
                TrinoAuthKind::Jwt => TrinoAuth::Jwt { token: credentials.token.unwrap_or_default() },
            };
            let loopback = url::Url::parse(&url)
                .ok()
                .and_then(|u| u.host_str().map(|h| h == "localhost" || h == "127.0.0.1" || h == "[::1]"))
                .unwrap_or(false);
            std::sync::Arc::new(TrinoConnector::new(TrinoConfig {
                url,
                user,
                auth,
                catalog,
                schema,
                allow_insecure_auth: loopback,
            })?)
        }
    })
}
