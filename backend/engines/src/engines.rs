use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::{
    ConfigError, EngineSpec, Provider, Registry,
    langfuse::Langfuse,
    llm::ChatModel,
    text_to_sql::{EngineError, LlmTextToSql, TextToSql, chat_model},
};

/// A registry as loaded: the file's content, its version, when it took effect, and its
/// text-to-SQL engines built and ready (clients, keys read from the environment).
#[derive(Debug)]
pub struct Loaded {
    pub registry: Registry,
    /// 1 for the registry the server started with, one more for each successful reload.
    pub version: u64,
    pub loaded_at: DateTime<Utc>,
    text_to_sql: BTreeMap<String, Result<Arc<dyn TextToSql>, EngineError>>,
    /// The model of each visualization engine that has one (`rule_based` has none).
    chart_models: BTreeMap<String, Result<Arc<dyn ChatModel>, EngineError>>,
    digest: [u8; 32],
}

/// How a chart is chosen for a result.
#[derive(Debug, Clone)]
pub enum ChartChooser {
    /// The rules of [`crate::visualization::choose`].
    Rules,
    /// A model that may only pick among the declarative kinds; the rules are the fallback.
    Model { name: String, model: Arc<dyn ChatModel> },
}

/// The engine a spec describes, or why it cannot run on this server.
fn build_text_to_sql(spec: &EngineSpec, langfuse: Option<&Langfuse>) -> Result<Arc<dyn TextToSql>, EngineError> {
    match spec.provider {
        Provider::RuleBased => Ok(Arc::new(crate::offline::OfflineTextToSql::new(&spec.name))),
        Provider::OpenAi | Provider::OpenAiCompatible | Provider::Anthropic => {
            let engine = LlmTextToSql::from_spec(spec)?;
            Ok(Arc::new(match langfuse {
                Some(langfuse) => engine.with_langfuse(langfuse.clone()),
                None => engine,
            }))
        }
    }
}

/// An engine ready to run, or the name of one that cannot and why.
pub type ChainLink = Result<Arc<dyn TextToSql>, (String, EngineError)>;

impl Loaded {
    fn new(registry: Registry, version: u64, digest: [u8; 32], langfuse: Option<&Langfuse>) -> Self {
        let text_to_sql = registry
            .text_to_sql
            .engines
            .values()
            .map(|spec| (spec.name.clone(), build_text_to_sql(spec, langfuse)))
            .collect();
        let chart_models = registry
            .visualization
            .engines
            .values()
            .filter(|spec| spec.provider != Provider::RuleBased)
            .map(|spec| (spec.name.clone(), chat_model(spec)))
            .collect();
        Self { registry, version, loaded_at: Utc::now(), text_to_sql, chart_models, digest }
    }

    /// The chart chooser for a request: the requested visualization engine (an
    /// organisation's choice) or the default; one that cannot run here falls back to the rules.
    pub fn chart_chooser(&self, requested: Option<&str>) -> ChartChooser {
        let section = &self.registry.visualization;
        let Ok(chain) = section.chain(requested).or_else(|_| section.chain(None)) else { return ChartChooser::Rules };
        chain
            .into_iter()
            .find_map(|spec| match self.chart_models.get(&spec.name) {
                Some(Ok(model)) => Some(ChartChooser::Model { name: spec.name.clone(), model: model.clone() }),
                Some(Err(_)) => None,
                None => Some(ChartChooser::Rules),
            })
            .unwrap_or(ChartChooser::Rules)
    }

    /// The text-to-SQL engines to try in order: the requested one (or the default), then
    /// the fallback chain. Engines that cannot run here come back as their reason, so
    /// the caller can say why they were skipped.
    pub fn text_to_sql_chain(&self, requested: Option<&str>) -> Result<Vec<ChainLink>, ConfigError> {
        let chain = self.registry.text_to_sql.chain(requested)?;
        Ok(chain
            .into_iter()
            .map(|spec| match self.text_to_sql.get(&spec.name) {
                Some(Ok(engine)) => Ok(engine.clone()),
                Some(Err(error)) => Err((spec.name.clone(), error.clone())),
                None => Err((spec.name.clone(), EngineError::Unavailable("not built".into()))),
            })
            .collect())
    }
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
    langfuse: Option<Langfuse>,
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
        Self::load_traced(path, None)
    }

    /// As [`Engines::load`], with every model call of every registry traced to Langfuse.
    pub fn load_traced(path: Option<&Path>, langfuse: Option<Langfuse>) -> Result<Self, ConfigError> {
        let (registry, digest) = match path {
            Some(path) => {
                let text = read(path)?;
                (Registry::parse(&text)?, digest(&text))
            }
            None => (Registry::offline(), [0; 32]),
        };
        Ok(Self {
            path: path.map(Path::to_path_buf),
            current: ArcSwap::from_pointee(Loaded::new(registry, 1, digest, langfuse.as_ref())),
            last_failure: Mutex::new(None),
            failures: AtomicU64::new(0),
            reloading: Mutex::new(()),
            langfuse,
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
                self.current.store(Arc::new(Loaded::new(registry, version, digest, self.langfuse.as_ref())));
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
