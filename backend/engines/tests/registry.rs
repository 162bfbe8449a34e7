#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use kurobe_engines::{ConfigError, Engines, Kind, Provider, Registry, ReloadOutcome, watch_file};

const GOOD: &str = r#"
text_to_sql:
  default: offline
  fallback: [offline]
  engines:
    offline: { provider: rule_based }
    gpt:
      provider: openai
      config: { model: gpt-4o-mini, api_key_env: KUROBE_TEST_UNSET_OPENAI_KEY }
    local:
      provider: openai_compatible
      config: { model: llama3.1, base_url: "http://127.0.0.1:11434/v1" }
visualization:
  default: rules
  engines:
    rules: { provider: rule_based }
semantic:
  default: linker
  engines:
    linker: { provider: rule_based }
"#;

#[test]
fn a_valid_file_becomes_a_registry() {
    let registry = Registry::parse(GOOD).unwrap();
    let text = registry.section(Kind::TextToSql);
    assert_eq!(text.default, "offline");
    assert_eq!(text.engines["gpt"].provider, Provider::OpenAi);
    // An engine whose key is missing is configured but not available.
    assert!(text.engines["gpt"].unavailable_reason().unwrap().contains("KUROBE_TEST_UNSET_OPENAI_KEY"));
    assert!(text.engines["local"].unavailable_reason().is_none());
    let chain: Vec<&str> = text.chain(Some("gpt")).unwrap().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(chain, ["gpt", "offline"]);
    assert_eq!(text.chain(Some("nope")).unwrap_err(), ConfigError::UnknownEngine("nope".into()));
}

#[test]
fn invalid_files_are_refused_with_the_field_at_fault() {
    let cases = [
        ("text_to_sql: [", "line"),
        (&GOOD.replace("default: offline", "default: gpt5"), "text_to_sql.default: `gpt5`"),
        (&GOOD.replace("fallback: [offline]", "fallback: [ghost]"), "text_to_sql.fallback: `ghost`"),
        (&GOOD.replace("model: gpt-4o-mini, ", ""), "text_to_sql.engines.gpt.config.model"),
        (&GOOD.replace("api_key_env: KUROBE_TEST_UNSET_OPENAI_KEY", "api_key_env: sk-live-123"), "api_key_env"),
        (&GOOD.replace("api_key_env: KUROBE_TEST_UNSET_OPENAI_KEY", "api_key: sk-live-123"), "unknown field `api_key`"),
        (&GOOD.replace(", base_url: \"http://127.0.0.1:11434/v1\"", ""), "text_to_sql.engines.local.config.base_url"),
        (&GOOD.replace("provider: rule_based }\n    gpt", "provider: mystery }\n    gpt"), "unknown variant `mystery`"),
        (&GOOD.replace("    rules: { provider: rule_based }\n", ""), "visualization"),
    ];
    for (text, expected) in cases {
        let error = Registry::parse(text).unwrap_err().to_string();
        assert!(error.contains(expected), "expected `{expected}` in: {error}");
    }
}

#[test]
fn a_bad_reload_keeps_the_running_registry_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("engines.yaml");
    std::fs::write(&path, GOOD).unwrap();
    let engines = Engines::load(Some(&path)).unwrap();
    let held = engines.current();
    assert_eq!(held.version, 1);
    assert_eq!(engines.reload(), ReloadOutcome::Unchanged { version: 1 });

    std::fs::write(&path, GOOD.replace("default: offline", "default: local")).unwrap();
    assert_eq!(engines.reload(), ReloadOutcome::Applied { version: 2 });
    assert_eq!(engines.current().registry.text_to_sql.default, "local");
    // A reader that took the registry before the reload still holds the old one whole.
    assert_eq!((held.version, held.registry.text_to_sql.default.as_str()), (1, "offline"));

    std::fs::write(&path, "text_to_sql: {default: [").unwrap();
    assert!(matches!(engines.reload(), ReloadOutcome::RolledBack { version: 2, .. }));
    assert_eq!(engines.current().registry.text_to_sql.default, "local");
    assert_eq!(engines.failures(), 1);
    assert!(matches!(engines.last_failure().unwrap().error, ConfigError::Syntax(_)));

    std::fs::remove_file(&path).unwrap();
    assert!(matches!(engines.reload(), ReloadOutcome::RolledBack { error: ConfigError::Unreadable(_), .. }));
    std::fs::write(&path, GOOD).unwrap();
    assert_eq!(engines.reload(), ReloadOutcome::Applied { version: 3 });
    assert!(engines.last_failure().is_none());
}

#[test]
fn without_a_file_every_kind_uses_the_offline_engine() {
    let engines = Engines::load(None).unwrap();
    for kind in Kind::ALL {
        assert_eq!(engines.current().registry.section(kind).default, "offline");
    }
    assert!(Engines::load(Some(std::path::Path::new("/nonexistent/engines.yaml"))).is_err());
}

#[tokio::test]
async fn the_watcher_sees_an_edit_within_two_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("engines.yaml");
    std::fs::write(&path, GOOD).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher = tokio::spawn(watch_file(path.clone(), Duration::from_millis(200), move || {
        tx.send(()).ok();
    }));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let edited = Instant::now();
    // Replace by rename, as editors and config-map updates do.
    let staged = dir.path().join("engines.yaml.new");
    std::fs::write(&staged, GOOD.replace("default: offline", "default: local")).unwrap();
    std::fs::rename(&staged, &path).unwrap();
    tokio::time::timeout(Duration::from_secs(2), rx.recv()).await.expect("no change seen within 2 s").unwrap();
    assert!(edited.elapsed() < Duration::from_secs(2));
    watcher.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_never_fail_while_the_file_is_broken_and_fixed_under_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("engines.yaml");
    std::fs::write(&path, GOOD).unwrap();
    let engines = std::sync::Arc::new(Engines::load(Some(&path)).unwrap());
    let deadline = Instant::now() + Duration::from_secs(2);

    let readers: Vec<_> = (0..16)
        .map(|_| {
            let engines = engines.clone();
            tokio::spawn(async move {
                let (mut served, mut failed) = (0u64, 0u64);
                while Instant::now() < deadline {
                    let registry = engines.current();
                    match registry.registry.section(Kind::TextToSql).chain(None) {
                        Ok(chain) if !chain.is_empty() => served += 1,
                        _ => failed += 1,
                    }
                    tokio::task::yield_now().await;
                }
                (served, failed)
            })
        })
        .collect();
    let writer = {
        let engines = engines.clone();
        let path = path.clone();
        tokio::spawn(async move {
            let mut rolled_back = 0;
            let mut round = 0;
            while Instant::now() < deadline {
                round += 1;
                let text = if round % 2 == 0 { GOOD.to_owned() } else { format!("text_to_sql: {{default: [{round}") };
                std::fs::write(&path, text).unwrap();
                if matches!(engines.reload(), ReloadOutcome::RolledBack { .. }) {
                    rolled_back += 1;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            rolled_back
        })
    };
    let mut served = 0;
    for reader in readers {
        let (ok, failed) = reader.await.unwrap();
        assert_eq!(failed, 0);
        served += ok;
    }
    let rolled_back = writer.await.unwrap();
    assert!(rolled_back > 10, "only {rolled_back} broken files were tried");
    assert!(served > 1_000, "only {served} reads");
    assert_eq!(engines.failures(), rolled_back);
}
