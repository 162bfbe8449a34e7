//! Building the state from settings and serving until shutdown.

use std::{future::Future, net::SocketAddr, str::FromStr, sync::Arc, time::Duration};

use anyhow::{Context as _, bail};
use kurobe_store::Store;
use secrecy::ExposeSecret;
use sqlx::postgres::PgConnectOptions;
use tokio::net::TcpListener;

use crate::{
    ask::{cache::ResultCache, group_commit::RecordWriter},
    auth::jwt::JwtKeys,
    http::app,
    limits::CredentialLimits,
    metrics::Metrics,
    settings::Settings,
    state::{AppState, Shared},
    tenant_cache::TenantCache,
};

/// Validates the settings and builds the state. Refuses to continue with weak secrets or a
/// database role that row-level security would not bind.
pub async fn build_state(settings: Settings) -> anyhow::Result<AppState> {
    let master_keys = settings.validate_for_serving()?;
    if settings.database.migrate_on_start
        && let Some(url) = &settings.database.migration_url
    {
        migrate(url.expose_secret()).await?;
    }
    let url = settings.database.url.as_ref().map(|u| u.expose_secret().to_owned()).unwrap_or_default();
    let options = PgConnectOptions::from_str(&url).context("database.url is not a valid Postgres URL")?;
    let jobs = crate::jobs::Jobs::new(&settings, options.clone())?;
    let store = Store::connect_lazy(options, settings.database.max_connections);
    match store.check_role_is_restricted().await {
        Ok(check) if !check.is_restricted() => bail!(
            "the database role `{}` is {}; connect as kurobe_app, which row-level security binds \
             (database.url), and keep the owner for migrations (database.migration_url)",
            check.name,
            if check.superuser {
                "a superuser"
            } else if check.bypass_rls {
                "BYPASSRLS"
            } else {
                "the owner of the tables"
            },
        ),
        Ok(_) => {}
        // Postgres may be down at start; the pool recovers when it returns and /readyz says so.
        Err(err) => tracing::warn!(error = %err, "could not check the database role at start"),
    }
    let langfuse = kurobe_engines::langfuse::LangfuseConfig::from_env().map(|config| {
        tracing::info!(host = %config.host, "tracing model calls to Langfuse");
        kurobe_engines::langfuse::Langfuse::start(config).0
    });
    let engines = kurobe_engines::Engines::load_traced(settings.engines.file.as_deref(), langfuse)
        .context("the engines file (engines.file) is invalid; fix it and start again")?;
    let redis = settings
        .redis
        .url
        .as_ref()
        .map(|url| redis::Client::open(url.expose_secret()))
        .transpose()
        .context("redis.url is not a valid Redis URL")?;
    Ok(AppState::new(Shared {
        records: RecordWriter::start(store.clone()),
        answers: Arc::default(),
        store,
        jwt: Arc::new(JwtKeys::new(&settings.security)),
        master_keys: Arc::new(master_keys),
        cache: Arc::new(ResultCache::new(settings.result_cache.memory_bytes, redis.clone())),
        metrics: Arc::new(Metrics::new().context("registering the metrics")?),
        limits: Arc::new(CredentialLimits::new(&settings.rate_limits)),
        jobs: Arc::new(jobs),
        tenants: Arc::new(TenantCache::new(&settings.tenant_cache, redis.clone())),
        redis,
        datasources: Arc::default(),
        engines: Arc::new(engines),
        settings: Arc::new(settings),
    }))
}

/// Applies pending migrations as the owner role.
pub async fn migrate(owner_url: &str) -> anyhow::Result<()> {
    let options = PgConnectOptions::from_str(owner_url).context("the migration URL is not a valid Postgres URL")?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .context("could not connect with the migration URL")?;
    kurobe_store::migrate(&pool).await.context("applying migrations failed")?;
    pool.close().await;
    Ok(())
}

/// Serves on `listener` until `shutdown` resolves, then lets in-flight requests finish for
/// up to the configured grace period.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let grace = Duration::from_secs(state.settings.server.shutdown_grace_seconds);
    let store = state.store.clone();
    let health = tokio::spawn(crate::datasources::run_health_checks(state.clone()));
    let reloads = tokio::spawn(crate::engines::reload_on_change(state.clone()));
    let jobs = state.jobs.enabled().then(|| crate::jobs::start(state.clone()));
    let notices = tokio::spawn(state.tenants.clone().follow_changes());
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        stopping_tx.send(()).ok();
    });
    let mut server = std::pin::pin!(server.into_future());
    tokio::select! {
        result = &mut server => result?,
        () = async { stopping_rx.await.ok(); tokio::time::sleep(grace).await } => {
            tracing::warn!(?grace, "in-flight requests did not finish within the grace period");
        }
    }
    health.abort();
    if let Some(jobs) = jobs {
        // A run still going after the grace period is taken over by another server (or this
        // one after a restart) once its heartbeat stops.
        tokio::time::timeout(grace, jobs.stop()).await.ok();
    }
    reloads.abort();
    notices.abort();
    store.close().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
}
