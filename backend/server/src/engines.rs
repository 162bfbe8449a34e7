//! The engine registry at run time: its status for the API, and reloads on a file change,
//! on SIGHUP and on request, each audited.

use std::time::Duration;

use kurobe_api::{
    ErrorCode,
    engines::{EngineInfo, EngineSection, EnginesStatus, ReloadError},
};
use kurobe_core::AuditOutcome;
use kurobe_engines::{Engines, Kind, ReloadOutcome};

use crate::{audit::record_system, state::AppState};

pub fn status(engines: &Engines) -> EnginesStatus {
    let loaded = engines.current();
    EnginesStatus {
        version: loaded.version,
        loaded_at: loaded.loaded_at,
        file: engines.path().map(|p| p.display().to_string()),
        reload_failures: engines.failures(),
        last_error: engines.last_failure().map(|f| ReloadError { message: f.error.to_string(), at: f.at }),
        sections: Kind::ALL
            .into_iter()
            .map(|kind| {
                let section = loaded.registry.section(kind);
                EngineSection {
                    kind: kind.as_str().to_owned(),
                    default: section.default.clone(),
                    fallback: section.fallback.clone(),
                    engines: section
                        .engines
                        .values()
                        .map(|spec| {
                            let reason = spec.unavailable_reason();
                            EngineInfo {
                                name: spec.name.clone(),
                                provider: spec.provider.to_string(),
                                model: spec.config.as_ref().and_then(|c| c.model.clone()),
                                available: reason.is_none(),
                                unavailable_reason: reason,
                            }
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

/// The engine each kind uses for an organisation: its choice while the registry has it,
/// otherwise the registry's default.
pub fn effective_engines(
    engines: &Engines,
    chosen: &std::collections::BTreeMap<String, String>,
) -> std::collections::BTreeMap<String, String> {
    let loaded = engines.current();
    Kind::ALL
        .into_iter()
        .map(|kind| {
            let section = loaded.registry.section(kind);
            let requested = chosen.get(kind.as_str()).map(String::as_str);
            let name = section
                .chain(requested)
                .or_else(|_| section.chain(None))
                .ok()
                .and_then(|chain| chain.first().map(|e| e.name.clone()));
            (kind.as_str().to_owned(), name.unwrap_or_else(|| section.default.clone()))
        })
        .collect()
}

/// Reloads and audits the outcome as the server's own action (`trigger` says why).
async fn reload_and_record(state: &AppState, trigger: &str) {
    let outcome = state.engines.reload();
    let (result, code, details) = match &outcome {
        ReloadOutcome::Applied { version } => {
            (AuditOutcome::Success, None, serde_json::json!({ "trigger": trigger, "applied": version }))
        }
        ReloadOutcome::Unchanged { .. } => return,
        ReloadOutcome::RolledBack { version, error } => {
            state.metrics.engine_reload_failures.inc();
            (
                AuditOutcome::Error,
                Some(ErrorCode::EnginesInvalid),
                serde_json::json!({ "trigger": trigger, "kept": version, "error": error.to_string() }),
            )
        }
    };
    if let Err(err) = record_system(state, "engines.reload", result, code, details).await {
        tracing::error!(error = %err, "could not audit an engine registry reload");
    }
}

/// Reloads when the file changes and on SIGHUP, until the task is dropped.
pub async fn reload_on_change(state: AppState) {
    let watcher = async {
        if let Some(path) = state.engines.path().map(std::path::Path::to_path_buf) {
            let interval = Duration::from_millis(state.settings.engines.watch_interval_ms.max(50));
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let watch = kurobe_engines::watch_file(path, interval, move || {
                tx.send(()).ok();
            });
            let apply = async {
                while rx.recv().await.is_some() {
                    reload_and_record(&state, "file").await;
                }
            };
            tokio::join!(watch, apply);
        }
    };
    let hangup = async {
        #[cfg(unix)]
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            while signal.recv().await.is_some() {
                reload_and_record(&state, "signal").await;
            }
        }
    };
    tokio::join!(watcher, hangup);
}
