use std::{
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::{ConfigError, Registry};

/// A registry as loaded: the file's content, its version and when it took effect.
#[derive(Debug)]
pub struct Loaded {
    pub registry: Registry,
    /// 1 for the registry the server started with, one more for each successful reload.
    pub version: u64,
    pub loaded_at: DateTime<Utc>,
    digest: [u8; 32],
}

/// Why the last reload was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadFailure {
    pub error: ConfigError,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadOutcome {
    Applied {
        version: u64,
    },
    /// The file has not changed since the running registry was loaded.
    Unchanged {
        version: u64,
    },
    /// The file is invalid; the running registry stays.
    RolledBack {
        version: u64,
        error: ConfigError,
    },
}

/// The current registry and its reload history. Readers take an `Arc` of the current
/// registry, which outlives any reload that happens while they use it.
#[derive(Debug)]
pub struct Engines {
    path: Option<PathBuf>,
    current: ArcSwap<Loaded>,
    last_failure: Mutex<Option<ReloadFailure>>,
    failures: AtomicU64,
    /// Serialises reloads (watcher, signal and API may race); readers never wait on it.
    reloading: Mutex<()>,
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable(format!("{}: {e}", path.display())))
}

impl Engines {
    /// Loads the file, or the offline registry when there is no file. At start there is no
    /// registry to fall back on, so an invalid file is an error.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let (registry, digest) = match path {
            Some(path) => {
                let text = read(path)?;
                (Registry::parse(&text)?, digest(&text))
            }
            None => (Registry::offline(), [0; 32]),
        };
        Ok(Self {
            path: path.map(Path::to_path_buf),
            current: ArcSwap::from_pointee(Loaded { registry, version: 1, loaded_at: Utc::now(), digest }),
            last_failure: Mutex::new(None),
            failures: AtomicU64::new(0),
            reloading: Mutex::new(()),
        })
    }

    pub fn current(&self) -> Arc<Loaded> {
        self.current.load_full()
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// How many reloads were refused since start.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    pub fn last_failure(&self) -> Option<ReloadFailure> {
        self.last_failure.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Reads and validates the file; swaps it in whole if valid and changed.
    pub fn reload(&self) -> ReloadOutcome {
        let _serial = self.reloading.lock().unwrap_or_else(PoisonError::into_inner);
        let running = self.current.load();
        let Some(path) = &self.path else { return ReloadOutcome::Unchanged { version: running.version } };
        let parsed = read(path).and_then(|text| Ok((Registry::parse(&text)?, digest(&text))));
        match parsed {
            Ok((_, digest)) if digest == running.digest => ReloadOutcome::Unchanged { version: running.version },
            Ok((registry, digest)) => {
                let version = running.version + 1;
                self.current.store(Arc::new(Loaded { registry, version, loaded_at: Utc::now(), digest }));
                *self.last_failure.lock().unwrap_or_else(PoisonError::into_inner) = None;
                tracing::info!(version, path = %path.display(), "engine registry reloaded");
                ReloadOutcome::Applied { version }
            }
            Err(error) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                *self.last_failure.lock().unwrap_or_else(PoisonError::into_inner) =
                    Some(ReloadFailure { error: error.clone(), at: Utc::now() });
                tracing::error!(%error, version = running.version, "engines file refused; the running registry stays");
                ReloadOutcome::RolledBack { version: running.version, error }
            }
        }
    }
}
