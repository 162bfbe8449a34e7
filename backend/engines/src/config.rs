use std::{collections::BTreeMap, fmt};

use serde::Deserialize;

/// The three kinds of engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    TextToSql,
    Visualization,
    Semantic,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::TextToSql, Kind::Visualization, Kind::Semantic];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::TextToSql => "text_to_sql",
            Kind::Visualization => "visualization",
            Kind::Semantic => "semantic",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// Offline and deterministic; needs no key.
    RuleBased,
    #[serde(rename = "openai")]
    OpenAi,
    Anthropic,
    /// Any server speaking OpenAI's chat completions: Ollama, vLLM, LM Studio, llama.cpp,
    /// a LiteLLM proxy.
    #[serde(rename = "openai_compatible")]
    OpenAiCompatible,
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Provider::RuleBased => "rule_based",
            Provider::OpenAi => "openai",
            Provider::Anthropic => "anthropic",
            Provider::OpenAiCompatible => "openai_compatible",
        })
    }
}

/// A model provider's settings. Keys are never in the file: `api_key_env` names the
/// environment variable that holds one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub model: Option<String>,
    pub api_key_env: Option<String>,
    /// Required for `openai_compatible`; overrides the public endpoint for the others.
    pub base_url: Option<String>,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    #[serde(default = "default_retries")]
    pub max_retries: u32,
    /// US dollars per million input and output tokens, for the cost recorded per query.
    pub price_per_million_input: Option<f64>,
    pub price_per_million_output: Option<f64>,
}

fn default_timeout() -> u64 {
    30
}

fn default_retries() -> u32 {
    2
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEngine {
    provider: Provider,
    #[serde(default)]
    config: Option<ProviderConfig>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    default: Option<String>,
    #[serde(default)]
    fallback: Vec<String>,
    #[serde(default)]
    engines: BTreeMap<String, RawEngine>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    text_to_sql: RawSection,
    #[serde(default)]
    visualization: RawSection,
    #[serde(default)]
    semantic: RawSection,
}

/// One configured engine.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineSpec {
    pub name: String,
    pub provider: Provider,
    pub config: Option<ProviderConfig>,
}

impl EngineSpec {
    /// Why the engine cannot run on this server right now (a missing key), if it cannot.
    pub fn unavailable_reason(&self) -> Option<String> {
        let variable = self.config.as_ref()?.api_key_env.as_ref()?;
        match std::env::var(variable) {
            Ok(value) if !value.trim().is_empty() => None,
            _ => Some(format!("the environment variable {variable} is not set")),
        }
    }
}

/// The engines of one kind, validated: the default and every fallback name an engine.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub default: String,
    pub fallback: Vec<String>,
    pub engines: BTreeMap<String, EngineSpec>,
}

impl Section {
    /// The engine to use: the requested one (an organisation's choice) or the default,
    /// followed by the fallback chain, without repeats.
    pub fn chain(&self, requested: Option<&str>) -> Result<Vec<&EngineSpec>, ConfigError> {
        let first = requested.unwrap_or(&self.default);
        let head = self.engines.get(first).ok_or_else(|| ConfigError::UnknownEngine(first.to_owned()))?;
        let mut chain = vec![head];
        for name in &self.fallback {
            if let Some(spec) = self.engines.get(name)
                && !chain.iter().any(|e| e.name == spec.name)
            {
                chain.push(spec);
            }
        }
        Ok(chain)
    }
}

/// A whole, valid engines file.
#[derive(Debug, Clone, PartialEq)]
pub struct Registry {
    pub text_to_sql: Section,
    pub visualization: Section,
    pub semantic: Section,
}

impl Registry {
    pub fn section(&self, kind: Kind) -> &Section {
        match kind {
            Kind::TextToSql => &self.text_to_sql,
            Kind::Visualization => &self.visualization,
            Kind::Semantic => &self.semantic,
        }
    }

    /// The registry of a server without an engines file: the offline engine everywhere.
    pub fn offline() -> Self {
        let section = || {
            let spec = EngineSpec { name: "offline".into(), provider: Provider::RuleBased, config: None };
            Section {
                default: "offline".into(),
                fallback: Vec::new(),
                engines: BTreeMap::from([("offline".into(), spec)]),
            }
        };
        Registry { text_to_sql: section(), visualization: section(), semantic: section() }
    }

    /// Parses and validates a whole file; the first problem found is the error.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let raw: RawFile = serde_yaml::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        Ok(Registry {
            text_to_sql: section(Kind::TextToSql, raw.text_to_sql)?,
            visualization: section(Kind::Visualization, raw.visualization)?,
            semantic: section(Kind::Semantic, raw.semantic)?,
        })
    }
}

/// Why an engines file was refused. Each message names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// YAML that does not parse or does not fit the schema; the message has line and column.
    #[error("{0}")]
    Syntax(String),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("no engine named `{0}`")]
    UnknownEngine(String),
    #[error("cannot read the engines file: {0}")]
    Unreadable(String),
}

fn invalid(field: String, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { field, message: message.into() }
}

fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn engine(kind: Kind, name: String, raw: RawEngine) -> Result<EngineSpec, ConfigError> {
    let field = |f: &str| format!("{}.engines.{name}.{f}", kind.as_str());
    let config = raw.config.clone();
    match (raw.provider, &config) {
        (Provider::RuleBased, _) => {}
        (_, None) => {
            return Err(invalid(field("config"), format!("the {} provider needs a config with a model", raw.provider)));
        }
        (provider, Some(config)) => {
            if config.model.as_deref().is_none_or(|m| m.trim().is_empty()) {
                return Err(invalid(field("config.model"), "is required"));
            }
            match (&config.api_key_env, provider) {
                (Some(variable), _) if !is_env_name(variable) => {
                    return Err(invalid(
                        field("config.api_key_env"),
                        format!(
                            "`{variable}` is not an environment variable name; put the key in the environment and name the variable here"
                        ),
                    ));
                }
                (None, Provider::OpenAi | Provider::Anthropic) => {
                    return Err(invalid(
                        field("config.api_key_env"),
                        "is required: name the environment variable holding the key",
                    ));
                }
                _ => {}
            }
            match (&config.base_url, provider) {
                (None, Provider::OpenAiCompatible) => {
                    return Err(invalid(field("config.base_url"), "is required for openai_compatible"));
                }
                (Some(url), _) if !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) => {
                    return Err(invalid(field("config.base_url"), format!("`{url}` is not an http(s) URL")));
                }
                _ => {}
            }
            if !(1..=600).contains(&config.timeout_seconds) {
                return Err(invalid(field("config.timeout_seconds"), "must be between 1 and 600"));
            }
            if config.max_retries > 10 {
                return Err(invalid(field("config.max_retries"), "must be at most 10"));
            }
        }
    }
    Ok(EngineSpec { name, provider: raw.provider, config })
}

fn section(kind: Kind, raw: RawSection) -> Result<Section, ConfigError> {
    let field = |f: &str| format!("{}.{f}", kind.as_str());
    if raw.engines.is_empty() {
        return Err(invalid(field("engines"), "needs at least one engine"));
    }
    let engines = raw
        .engines
        .into_iter()
        .map(|(name, spec)| Ok((name.clone(), engine(kind, name, spec)?)))
        .collect::<Result<BTreeMap<_, _>, ConfigError>>()?;
    let known = || engines.keys().cloned().collect::<Vec<_>>().join(", ");
    let default = raw.default.ok_or_else(|| invalid(field("default"), format!("is required; one of: {}", known())))?;
    if !engines.contains_key(&default) {
        return Err(invalid(field("default"), format!("`{default}` is not one of its engines ({})", known())));
    }
    for name in &raw.fallback {
        if !engines.contains_key(name) {
            return Err(invalid(field("fallback"), format!("`{name}` is not one of its engines ({})", known())));
        }
    }
    Ok(Section { default, fallback: raw.fallback, engines })
}
