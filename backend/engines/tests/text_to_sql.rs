//! LLM text-to-SQL against replaying servers: the prompt we send, the SQL we read back, the
//! self-correction round and the fallback chain. These prove our code, not any model.

#![allow(clippy::unwrap_used)]

mod common;

use std::{sync::Arc, time::Duration};

use common::{Replay, Reply, policy, reply};
use kurobe_connector::{ColumnInfo, DataType, Dialect, ForeignKey, Schema, Table, TableKind};
use kurobe_engines::{
    langfuse::{Langfuse, LangfuseConfig},
    linking::{relevant_tables, relevant_tables_with_model},
    llm::OpenAiClient,
    prompt::{Example, PromptContext},
    text_to_sql::{EngineError, LlmTextToSql, TextToSql, generate_with_fallback},
};

fn column(name: &str, native: &str, samples: Option<&[&str]>) -> ColumnInfo {
    ColumnInfo {
        name: name.into(),
        data_type: DataType::from_sql_name(native),
        native_type: native.into(),
        nullable: false,
        comment: None,
        sample_values: samples.map(|s| s.iter().map(|v| (*v).to_owned()).collect()),
    }
}

fn table(name: &str, columns: Vec<ColumnInfo>, fks: &[(&str, &str, &str)]) -> Table {
    Table {
        schema: "retail".into(),
        name: name.into(),
        kind: TableKind::Table,
        comment: None,
        row_estimate: None,
        primary_key: vec![columns[0].name.clone()],
        columns,
        foreign_keys: fks
            .iter()
            .map(|(c, t, rc)| ForeignKey {
                columns: vec![(*c).into()],
                referenced_schema: "retail".into(),
                referenced_table: (*t).into(),
                referenced_columns: vec![(*rc).into()],
            })
            .collect(),
    }
}

/// The demo's shape, buried among a thousand unrelated tables.
fn warehouse() -> Schema {
    let mut tables = vec![
        table(
            "regions",
            vec![
                column("region_id", "INTEGER", None),
                column("name", "VARCHAR", Some(&["Western Europe", "South Asia"])),
            ],
            &[],
        ),
        table(
            "stores",
            vec![column("store_id", "INTEGER", None), column("region_id", "INTEGER", None)],
            &[("region_id", "regions", "region_id")],
        ),
        table(
            "orders",
            vec![
                column("order_id", "BIGINT", None),
                column("store_id", "INTEGER", None),
                column("status", "VARCHAR", Some(&["completed", "returned"])),
            ],
            &[("store_id", "stores", "store_id")],
        ),
    ];
    for i in 0..1000 {
        tables.push(table(
            &format!("telemetry_{i}"),
            vec![column("event_id", "BIGINT", None), column("payload", "JSON", None)],
            &[],
        ));
    }
    Schema { tables }
}

fn engine(url: &str, name: &str, retries: u32) -> Arc<dyn TextToSql> {
    let client = OpenAiClient::new(
        &format!("{url}/v1"),
        Some("sk-test".into()),
        "gpt-4o-mini",
        Duration::from_secs(5),
        policy(retries),
    );
    Arc::new(LlmTextToSql::new(name, Arc::new(client), Some((0.15, 0.60))))
}

#[tokio::test]
async fn the_prompt_holds_only_the_linked_tables_and_the_answer_becomes_sql() {
    let schema = warehouse();
    let question = "How many returned orders per region?";
    let tables = relevant_tables(&schema, question, 8);
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["orders", "regions", "stores"], "the join path through stores is kept");

    let (replay, url) = Replay::start(vec![reply(200, "openai_chat_completion.json")]).await;
    let examples = [Example { question: "How many orders?".into(), sql: "SELECT count(*) FROM retail.orders".into() }];
    let context = PromptContext {
        dialect: Dialect::DuckDb,
        tables: &tables,
        semantic: Some("revenue = sum(quantity * unit_price)"),
        examples: &examples,
        rule_based: None,
        today: today(),
        trace_id: Some("trace-1"),
    };
    let ingested =
        Reply { status: 207, headers: vec![], body: r#"{"successes":[],"errors":[]}"#.into(), delay: Duration::ZERO };
    let (langfuse_replay, langfuse_url) = Replay::start(vec![ingested]).await;
    let (langfuse, sender) = Langfuse::start(LangfuseConfig {
        host: langfuse_url,
        public_key: "pk-lf-test".into(),
        secret_key: "sk-lf-test".into(),
        batch_size: 50,
        flush_interval: Duration::from_millis(50),
    });
    let client = OpenAiClient::new(
        &format!("{url}/v1"),
        Some("sk-test".into()),
        "gpt-4o-mini",
        Duration::from_secs(5),
        policy(0),
    );
    let traced = LlmTextToSql::new("openai", Arc::new(client), Some((0.15, 0.60))).with_langfuse(langfuse.clone());
    let generated = traced.generate(question, &context, None).await.unwrap();
    drop((traced, langfuse));
    assert_eq!(sender.await.unwrap(), 0);
    let (_, headers, batch) = &langfuse_replay.requests()[0];
    assert!(headers["authorization"].to_str().unwrap().starts_with("Basic "));
    let event = &batch["batch"][0];
    assert_eq!(
        (event["type"].as_str(), event["body"]["traceId"].as_str()),
        (Some("generation-create"), Some("trace-1"))
    );
    assert_eq!(event["body"]["usage"], serde_json::json!({ "input": 812, "output": 64, "unit": "TOKENS" }));
    assert_eq!(event["body"]["model"], "gpt-4o-mini-2024-07-18");
    assert!(generated.sql.starts_with("SELECT r.name AS region, count(*) AS orders"), "{}", generated.sql);
    assert!(!generated.sql.contains("```"));
    assert_eq!(generated.explanation, "Counts orders per region.");
    assert_eq!((generated.usage.input_tokens, generated.engine.as_str()), (812, "openai"));
    assert!(generated.cost_usd.unwrap() > 0.0);

    let (_, _, body) = &replay.requests()[0];
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("read-only DuckDB query"));
    assert!(system.contains("TABLE retail.orders") && system.contains("status VARCHAR VALUES [completed, returned]"));
    assert!(system.contains("REFERENCES retail.stores(store_id)"));
    assert!(system.contains("revenue = sum(quantity * unit_price)"));
    assert!(!system.contains("telemetry_"), "unrelated tables leaked into the prompt");
    assert!(system.len() < 4_000, "prompt of {} bytes", system.len());
    // The verified example comes as an earlier turn, the question last.
    let turns: Vec<&str> = body["messages"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(turns, ["system", "user", "assistant", "user"]);
}

#[tokio::test]
async fn the_correction_round_sends_the_failed_sql_and_its_error() {
    let (replay, url) = Replay::start(vec![reply(200, "openai_chat_completion.json")]).await;
    let schema = warehouse();
    let tables = relevant_tables(&schema, "orders per region", 8);
    let context = PromptContext {
        dialect: Dialect::Postgres,
        tables: &tables,
        semantic: None,
        examples: &[],
        rule_based: None,
        today: today(),
        trace_id: None,
    };
    engine(&url, "openai", 0)
        .generate(
            "orders per region",
            &context,
            Some(("SELECT nme FROM retail.regions", "column \"nme\" does not exist")),
        )
        .await
        .unwrap();
    let (_, _, body) = &replay.requests()[0];
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages[messages.len() - 2]["content"], "```sql\nSELECT nme FROM retail.regions\n```");
    assert!(messages.last().unwrap()["content"].as_str().unwrap().contains("column \"nme\" does not exist"));
}

#[tokio::test]
async fn a_failing_engine_falls_back_to_the_next() {
    let (_, broken) = Replay::start(vec![reply(500, "openai_server_error.json"); 2]).await;
    let prose = Reply {
        status: 200,
        headers: vec![],
        body: r#"{"model":"m","choices":[{"message":{"content":"I am not sure."}}],"usage":{}}"#.into(),
        delay: Duration::ZERO,
    };
    let (_, chatty) = Replay::start(vec![prose]).await;
    let (_, healthy) = Replay::start(vec![reply(200, "openai_chat_completion.json")]).await;
    let chain = [engine(&broken, "primary", 1), engine(&chatty, "chatty", 0), engine(&healthy, "backup", 0)];
    let schema = warehouse();
    let tables = relevant_tables(&schema, "orders per region", 8);
    let context = PromptContext {
        dialect: Dialect::Trino,
        tables: &tables,
        semantic: None,
        examples: &[],
        rule_based: None,
        today: today(),
        trace_id: None,
    };
    let (generated, failures) = generate_with_fallback(&chain, "orders per region", &context).await.unwrap();
    assert_eq!(generated.engine, "backup");
    let failed: Vec<(&str, bool)> =
        failures.iter().map(|(n, e)| (n.as_str(), matches!(e, EngineError::NoSql))).collect();
    assert_eq!(failed, [("primary", false), ("chatty", true)]);
}

#[tokio::test]
async fn langfuse_down_neither_fails_nor_slows_a_question() {
    let (_, url) = Replay::start(vec![reply(200, "openai_chat_completion.json")]).await;
    let (langfuse, sender) = Langfuse::start(LangfuseConfig {
        host: "http://127.0.0.1:1".into(),
        public_key: "pk".into(),
        secret_key: "sk".into(),
        batch_size: 1,
        flush_interval: Duration::from_millis(10),
    });
    let client = OpenAiClient::new(&format!("{url}/v1"), None, "m", Duration::from_secs(5), policy(0));
    let traced = LlmTextToSql::new("local", Arc::new(client), None).with_langfuse(langfuse.clone());
    let schema = warehouse();
    let tables = relevant_tables(&schema, "orders per region", 8);
    let context = PromptContext {
        dialect: Dialect::DuckDb,
        tables: &tables,
        semantic: None,
        examples: &[],
        rule_based: None,
        today: today(),
        trace_id: Some("t"),
    };
    let started = std::time::Instant::now();
    langfuse.trace("t", "question", None, "orders per region", serde_json::json!({}));
    traced.generate("orders per region", &context, None).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    drop((traced, langfuse));
    assert_eq!(sender.await.unwrap(), 2, "both events are counted as lost");
}

#[tokio::test]
async fn a_model_picks_tables_from_a_compact_catalog_and_cannot_invent_any() {
    let schema = warehouse();
    let (replay, url) = Replay::start(vec![
        Reply::openai_answer(r#"["retail.orders", "retail.ghost"]"#),
        Reply::openai_answer("I would look at the orders."),
        reply(500, "openai_server_error.json"),
    ])
    .await;
    let model = OpenAiClient::new(&format!("{url}/v1"), None, "m", Duration::from_secs(5), policy(0));
    let question = "How many returned orders per region?";

    let picked = relevant_tables_with_model(&model, &schema, question, 8).await;
    let names: Vec<&str> = picked.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["orders", "stores"], "the invented table is dropped, the join to stores added");
    let catalog = replay.requests()[0].2["messages"][1]["content"].as_str().unwrap().to_owned();
    assert!(catalog.contains("retail.orders: order_id, store_id, status"));
    assert!(catalog.lines().count() < 70, "the catalog is a short list of candidates, not the warehouse");

    // An answer without a list, or a failing model, leaves the rule-based choice.
    let rule_based: Vec<&str> = relevant_tables(&schema, question, 8).iter().map(|t| t.name.as_str()).collect();
    for _ in 0..2 {
        let picked = relevant_tables_with_model(&model, &schema, question, 8).await;
        assert_eq!(picked.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), rule_based);
    }
}

#[tokio::test]
async fn an_engine_spec_reads_its_key_from_the_named_variable() {
    let (replay, url) = Replay::start(vec![reply(200, "openai_chat_completion.json")]).await;
    let file = format!(
        "text_to_sql:\n  default: local\n  engines:\n    local:\n      provider: openai_compatible\n      config: {{ model: m, base_url: \"{url}/v1\", api_key_env: HOME }}\n    missing:\n      provider: openai\n      config: {{ model: m, api_key_env: KUROBE_TEST_NO_SUCH_KEY }}\n\
         visualization:\n  default: r\n  engines:\n    r: {{ provider: rule_based }}\nsemantic:\n  default: r\n  engines:\n    r: {{ provider: rule_based }}\n"
    );
    let registry = kurobe_engines::Registry::parse(&file).unwrap();
    let section = registry.section(kurobe_engines::Kind::TextToSql);
    assert!(matches!(LlmTextToSql::from_spec(&section.engines["missing"]), Err(EngineError::Unavailable(_))));

    let engine = LlmTextToSql::from_spec(&section.engines["local"]).unwrap();
    let schema = warehouse();
    let tables = relevant_tables(&schema, "orders per region", 8);
    let context = PromptContext {
        dialect: Dialect::DuckDb,
        tables: &tables,
        semantic: None,
        examples: &[],
        rule_based: None,
        today: today(),
        trace_id: None,
    };
    engine.generate("orders per region", &context, None).await.unwrap();
    let key = std::env::var("HOME").unwrap();
    assert_eq!(replay.requests()[0].1["authorization"].to_str().unwrap(), format!("Bearer {key}"));
}

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2025, 1, 15).unwrap()
}
