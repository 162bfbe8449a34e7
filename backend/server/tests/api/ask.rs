//! The ask path over HTTP: questions through a text-to-SQL engine (an OpenAI-compatible
//! server replaying recorded answers — no model is reachable here, so this tests our side),
//! the guard, the result cache, streaming, and the record each ask leaves.

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use kurobe_engines::testing::{Replay, Reply};
use serde_json::{Value, json};

use crate::{
    queries::app_with_demo_settings,
    support::{Session, TestApp, settings},
};

const REGIONS_SQL: &str = "SELECT r.name AS region, count(*) AS orders FROM retail.orders o \
    JOIN retail.stores s ON s.store_id = o.store_id JOIN retail.regions r ON r.region_id = s.region_id \
    GROUP BY r.name ORDER BY r.name";

pub fn fenced(sql: &str) -> String {
    format!("```sql\n{sql}\n```\nCounts orders per region.")
}

/// An app whose engine registry has `model` (an OpenAI-compatible server at `url`) as the
/// default text-to-SQL engine, falling back to `second` when given.
pub async fn app_with_model(
    url: &str,
    second: Option<&str>,
) -> (TestApp, tempfile::TempDir, Session, String, tempfile::TempDir) {
    let engines_dir = tempfile::tempdir().unwrap();
    let path = engines_dir.path().join("engines.yaml");
    let mut yaml = format!(
        "text_to_sql:\n  default: model\n  fallback: [{}]\n  engines:\n    model:\n      provider: openai_compatible\n      config:\n        base_url: {url}/v1\n        model: replayed\n        max_retries: 0\n        timeout_seconds: 5\n",
        if second.is_some() { "second" } else { "" },
    );
    if let Some(second) = second {
        yaml.push_str(&format!(
            "    second:\n      provider: openai_compatible\n      config:\n        base_url: {second}/v1\n        model: second\n        max_retries: 0\n"
        ));
    }
    yaml.push_str("visualization:\n  default: rules\n  engines:\n    rules:\n      provider: rule_based\n");
    yaml.push_str("semantic:\n  default: linker\n  engines:\n    linker:\n      provider: rule_based\n");
    std::fs::write(&path, yaml).unwrap();
    let mut settings = settings();
    settings.engines.file = Some(path);
    let (app, dir, owner, id) = app_with_demo_settings(settings).await;
    (app, dir, owner, id, engines_dir)
}

async fn ask(app: &TestApp, owner: &Session, id: &str, question: &str) -> crate::support::Response {
    app.post("/v1/query", Some(&owner.token), json!({ "datasource_id": id, "question": question })).await
}

async fn history(app: &TestApp) -> Vec<(Option<String>, String, Option<String>, String)> {
    sqlx::query_as("SELECT question, status, error_code, sql FROM query_history ORDER BY id")
        .fetch_all(&app.db.owner)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_question_is_answered_with_sql_rows_chart_and_one_record() {
    let (replay, url) = Replay::start(vec![Reply::openai_answer(&fenced(REGIONS_SQL))]).await;
    let (app, _dir, owner, id, _engines) = app_with_model(&url, None).await;
    let answer = ask(&app, &owner, &id, "How many orders per region?").await.expect(StatusCode::OK).body;

    assert_eq!(answer["question"], "How many orders per region?");
    assert_eq!(answer["explanation"], "Counts orders per region.");
    assert_eq!(answer["generation"]["engine"], "model");
    assert_eq!(answer["generation"]["input_tokens"], 812);
    assert_eq!(answer["generation"]["corrected"], false);
    assert!(answer["sql"].as_str().unwrap().ends_with("LIMIT 10001"), "{}", answer["sql"]);
    assert_eq!(answer["columns"][0]["name"], "region");
    assert!(answer["row_count"].as_u64().unwrap() > 0);
    assert_eq!(answer["chart"]["kind"], "bar");
    assert_eq!(answer["cache"]["hit"], false);
    for stage in ["context_ms", "generate_ms", "guard_ms", "execute_ms", "chart_ms", "total_ms"] {
        assert!(answer["timings"][stage].as_f64().is_some(), "{stage}");
    }

    // The model saw the question, the dialect and the linked tables — not the whole schema.
    let sent = &replay.requests()[0].2;
    let system = sent["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("DuckDB") && system.contains("TABLE retail.regions"), "{system}");
    assert_eq!(sent["messages"].as_array().unwrap().last().unwrap()["content"], "How many orders per region?");

    assert_eq!(
        history(&app).await,
        vec![(Some("How many orders per region?".into()), "succeeded".into(), None, REGIONS_SQL.into())]
    );
    let audit = app.audit_rows("query.ask").await;
    assert_eq!((audit.len(), audit[0].outcome.as_str()), (1, "success"));
}

#[tokio::test]
async fn model_sql_that_is_not_read_only_is_refused_audited_and_never_run() {
    let hostile =
        ["DROP TABLE retail.orders", "SELECT 1; DELETE FROM retail.orders", "SELECT * FROM read_csv('/etc/passwd')"];
    for sql in hostile {
        // The first answer is refused; the correction round answers the same: refused for good.
        let (replay, url) =
            Replay::start(vec![Reply::openai_answer(&fenced(sql)), Reply::openai_answer(&fenced(sql))]).await;
        let (app, _dir, owner, id, _engines) = app_with_model(&url, None).await;
        ask(&app, &owner, &id, "Delete everything").await.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "sql_refused");

        // The correction round told the model why.
        let requests = replay.requests();
        assert_eq!(requests.len(), 2, "{sql}");
        let last =
            requests[1].2["messages"].as_array().unwrap().last().unwrap()["content"].as_str().unwrap().to_owned();
        assert!(last.starts_with("That query failed:"), "{last}");

        assert_eq!(
            history(&app).await,
            vec![(Some("Delete everything".into()), "refused".into(), Some("sql_refused".into()), sql.into())]
        );
        let audit = app.audit_rows("query.ask").await;
        assert_eq!(audit.len(), 1, "{sql}");
        assert_eq!((audit[0].outcome.as_str(), audit[0].error_code.as_deref()), ("error", Some("sql_refused")));
        let orders = app
            .post(
                "/v1/sql",
                Some(&owner.token),
                json!({ "datasource_id": id, "sql": "SELECT count(*) AS n FROM retail.orders" }),
            )
            .await
            .expect(StatusCode::OK)
            .body;
        assert!(orders["rows"][0][0].as_i64().unwrap() > 0, "the table is intact after {sql}");
    }
}

#[tokio::test]
async fn sql_the_warehouse_rejects_gets_one_correction_round_with_the_error() {
    let broken = "SELECT region_name, count(*) FROM retail.regions GROUP BY region_name";
    let (replay, url) =
        Replay::start(vec![Reply::openai_answer(&fenced(broken)), Reply::openai_answer(&fenced(REGIONS_SQL))]).await;
    let (app, _dir, owner, id, _engines) = app_with_model(&url, None).await;
    let answer = ask(&app, &owner, &id, "orders per region").await.expect(StatusCode::OK).body;
    assert_eq!(answer["generation"]["corrected"], true);
    assert_eq!(answer["columns"][0]["name"], "region");
    let correction = replay.requests()[1].2["messages"].as_array().unwrap().last().unwrap()["content"].clone();
    assert!(correction.as_str().unwrap().contains("region_name"), "the warehouse's error goes back: {correction}");
    assert_eq!(app.count("SELECT count(*) FROM query_history").await, 1);
}

#[tokio::test]
async fn a_failing_engine_hands_over_to_the_fallback_chain() {
    let (_failing, failing_url) = Replay::start(vec![Reply::new(
        500,
        r#"{"error":{"message":"The server had an error","type":"server_error"}}"#,
    )])
    .await;
    let (_second, second_url) = Replay::start(vec![Reply::openai_answer(&fenced(REGIONS_SQL))]).await;
    let (app, _dir, owner, id, _engines) = app_with_model(&failing_url, Some(&second_url)).await;
    let answer = ask(&app, &owner, &id, "orders per region").await.expect(StatusCode::OK).body;
    assert_eq!(answer["generation"]["engine"], "second");
    assert_eq!(answer["generation"]["failed_engines"], json!(["model"]));

    // When every engine fails the answer says so, and the failure is recorded.
    let (_a, a) = Replay::start(vec![Reply::new(500, "{}")]).await;
    let (_b, b) = Replay::start(vec![Reply::openai_answer("I am not sure what you mean.")]).await;
    let (app, _dir, owner, id, _engines) = app_with_model(&a, Some(&b)).await;
    ask(&app, &owner, &id, "orders per region").await.expect_error(StatusCode::BAD_GATEWAY, "engine_failed");
    assert_eq!(history(&app).await[0].1, "failed");
    assert_eq!(app.audit_rows("query.ask").await[0].error_code.as_deref(), Some("engine_failed"));
}

#[tokio::test]
async fn an_unknown_engine_or_an_empty_question_is_refused_clearly() {
    let (_replay, url) = Replay::start(vec![]).await;
    let (app, _dir, owner, id, _engines) = app_with_model(&url, None).await;
    let body = json!({ "datasource_id": id, "question": "orders", "engine": "gpt-17" });
    app.post("/v1/query", Some(&owner.token), body)
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_engine");
    ask(&app, &owner, &id, "   ").await.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let body = json!({ "datasource_id": id, "question": "x".repeat(2_001) });
    app.post("/v1/query", Some(&owner.token), body)
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let body = json!({ "datasource_id": uuid::Uuid::now_v7(), "question": "orders" });
    app.post("/v1/query", Some(&owner.token), body).await.expect_error(StatusCode::NOT_FOUND, "not_found");
    // Each refusal left exactly one audit row.
    assert_eq!(app.audit_rows("query.ask").await.len(), 4);
}

/// The events of a streamed answer, in order: (event name, data).
async fn stream(app: &TestApp, owner: &Session, path: &str, body: Value) -> Vec<(String, Value)> {
    let request = Request::post(path)
        .header(header::AUTHORIZATION, format!("Bearer {}", owner.token))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "text/event-stream")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app.send(request).await.expect(StatusCode::OK);
    assert!(response.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/event-stream"));
    let text = response.body.as_str().unwrap().to_owned();
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty() && !block.starts_with(':'))
        .map(|block| {
            let field = |name: &str| {
                block.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).unwrap_or_default().trim().to_owned()
            };
            (field("event"), serde_json::from_str(&field("data")).unwrap())
        })
        .collect()
}

#[tokio::test]
async fn a_streamed_answer_reports_each_stage_then_the_whole_answer() {
    let (_replay, url) = Replay::start(vec![Reply::openai_answer(&fenced(REGIONS_SQL))]).await;
    let (app, _dir, owner, id, _engines) = app_with_model(&url, None).await;
    let events =
        stream(&app, &owner, "/v1/query", json!({ "datasource_id": id, "question": "orders per region" })).await;
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["context", "sql", "executing", "result", "chart", "done"]);
    assert!(events[0].1["tables"].as_array().unwrap().contains(&json!("retail.regions")));
    assert_eq!(events[5].1["answer"]["generation"]["engine"], "model");
    assert_eq!(app.audit_rows("query.ask").await.len(), 1);

    // A failure mid-stream ends it with an error event, and is recorded once.
    let events =
        stream(&app, &owner, "/v1/sql", json!({ "datasource_id": id, "sql": "DROP TABLE retail.orders" })).await;
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].0.as_str(), events[0].1["error"]["code"].as_str()), ("error", Some("sql_refused")));
    let audit = app.audit_rows("query.sql").await;
    assert_eq!((audit.len(), audit[0].error_code.as_deref()), (1, Some("sql_refused")));
    assert_eq!(app.count("SELECT count(*) FROM query_history WHERE status = 'refused'").await, 1);
}

#[tokio::test]
async fn identical_queries_hit_the_cache_but_never_across_organisations_or_refreshes() {
    let (app, dir, owner, id) = app_with_demo_settings(settings()).await;
    let sql = json!({ "datasource_id": id, "sql": "SELECT status, count(*) AS n FROM retail.orders GROUP BY status ORDER BY status" });
    let first = app.post("/v1/sql", Some(&owner.token), sql.clone()).await.expect(StatusCode::OK).body;
    let second = app.post("/v1/sql", Some(&owner.token), sql.clone()).await.expect(StatusCode::OK).body;
    assert_eq!((first["cache"]["hit"].clone(), second["cache"]["hit"].clone()), (json!(false), json!(true)));
    assert_eq!(first["rows"], second["rows"]);
    assert_eq!(second["timings"]["execute_ms"], 0.0);
    // Each ask, hit or not, has its own history and audit row.
    assert_eq!(app.count("SELECT count(*) FROM query_history").await, 2);
    assert_eq!(app.audit_rows("query.sql").await.len(), 2);

    // Another organisation with the very same file never sees this organisation's entry.
    let other = app.signup("other@example.com", "Other").await;
    let path = dir.path().join("demo.duckdb");
    let body = json!({ "name": "Demo", "config": { "kind": "duckdb", "path": path.display().to_string() } });
    let other_id =
        app.post("/v1/datasources", Some(&other.token), body).await.expect(StatusCode::CREATED).body["id"].clone();
    let theirs = json!({ "datasource_id": other_id, "sql": sql["sql"] });
    assert_eq!(
        app.post("/v1/sql", Some(&other.token), theirs).await.expect(StatusCode::OK).body["cache"]["hit"],
        false
    );

    // A refresh of the schema retires the source's entries.
    app.post(&format!("/v1/datasources/{id}/refresh"), Some(&owner.token), json!({})).await.expect(StatusCode::OK);
    assert_eq!(
        app.post("/v1/sql", Some(&owner.token), sql.clone()).await.expect(StatusCode::OK).body["cache"]["hit"],
        false
    );

    // A result is shared through Redis with another server process.
    let fresh = TestApp::attach(&app, settings_for(&dir)).await;
    assert_eq!(fresh.post("/v1/sql", Some(&owner.token), sql).await.expect(StatusCode::OK).body["cache"]["hit"], true);
}

fn settings_for(dir: &tempfile::TempDir) -> kurobe_server::Settings {
    let mut settings = settings();
    settings.connectors.duckdb_dirs = vec![dir.path().to_path_buf()];
    settings
}

/// A server process of a test's own, killed when the test ends, also when it fails.
struct OwnProcess(std::process::Child);

impl Drop for OwnProcess {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

#[tokio::test]
async fn with_redis_down_queries_are_answered_without_it() {
    // A Redis of our own, stopped mid-test.
    let port = crate::support::spare_port();
    let redis = std::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("redis-server is installed by scripts/services.sh");
    let redis = OwnProcess(redis);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut settings = settings();
    settings.redis.url = Some(secrecy::SecretString::from(format!("redis://127.0.0.1:{port}")));
    let (app, _dir, owner, id) = app_with_demo_settings(settings).await;
    let body =
        |n: u32| json!({ "datasource_id": id, "sql": format!("SELECT {n} AS n, count(*) AS c FROM retail.orders") });
    app.post("/v1/sql", Some(&owner.token), body(1)).await.expect(StatusCode::OK);

    drop(redis);
    let started = std::time::Instant::now();
    for n in 2..6 {
        let answer = app.post("/v1/sql", Some(&owner.token), body(n)).await.expect(StatusCode::OK).body;
        assert_eq!(answer["rows"][0][0], n);
    }
    // The in-process tier still serves what it holds.
    assert_eq!(
        app.post("/v1/sql", Some(&owner.token), body(1)).await.expect(StatusCode::OK).body["cache"]["hit"],
        true
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "an outage must not slow answers: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_query_of_the_history_runs_again_as_a_new_entry() {
    let (_replay, url) =
        Replay::start(vec![Reply::openai_answer(&fenced(REGIONS_SQL)), Reply::openai_answer(&fenced(REGIONS_SQL))])
            .await;
    let (app, _dir, owner, id, _engines) = app_with_model(&url, None).await;
    let first = ask(&app, &owner, &id, "orders per region").await.expect(StatusCode::OK).body;
    let again = app
        .post(&format!("/v1/queries/{}/rerun", first["query_id"].as_str().unwrap()), Some(&owner.token), json!({}))
        .await
        .expect(StatusCode::OK)
        .body;
    assert_ne!(again["query_id"], first["query_id"]);
    assert_eq!(again["question"], "orders per region");
    assert_eq!(again["rows"], first["rows"]);
    assert_eq!(again["cache"]["hit"], true);
    assert_eq!(app.count("SELECT count(*) FROM query_history").await, 2);
    let outsider = app.signup("outsider@example.com", "Elsewhere").await;
    app.post(&format!("/v1/queries/{}/rerun", first["query_id"].as_str().unwrap()), Some(&outsider.token), json!({}))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn an_upvoted_answer_becomes_an_example_the_engine_is_shown() {
    let (replay, url) =
        Replay::start(vec![Reply::openai_answer(&fenced(REGIONS_SQL)), Reply::openai_answer(&fenced(REGIONS_SQL))])
            .await;
    let (app, _dir, owner, id, _engines) = app_with_model(&url, None).await;
    let first = ask(&app, &owner, &id, "How many orders per region?").await.expect(StatusCode::OK).body;
    let feedback = format!("/v1/queries/{}/feedback", first["query_id"].as_str().unwrap());
    app.post(&feedback, Some(&owner.token), json!({ "rating": "up" })).await.expect(StatusCode::NO_CONTENT);

    ask(&app, &owner, &id, "orders per region last year").await.expect(StatusCode::OK);
    let messages = replay.requests()[1].2["messages"].clone();
    let contents: Vec<&str> = messages.as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    let example = format!("```sql\n{REGIONS_SQL}\n```");
    assert_eq!(contents[1..], ["How many orders per region?", example.as_str(), "orders per region last year"]);
}

#[tokio::test]
async fn a_result_exports_as_streamed_csv() {
    let (app, _dir, owner, id) = app_with_demo_settings(settings()).await;
    let sql = "SELECT o.order_id, o.status, 'say \"hi\", twice' AS note FROM retail.orders o \
        CROSS JOIN retail.regions r ORDER BY o.order_id, r.region_id";
    let answer = app
        .post("/v1/sql", Some(&owner.token), json!({ "datasource_id": id, "sql": sql }))
        .await
        .expect(StatusCode::OK)
        .body;
    let path = format!("/v1/queries/{}/result.csv", answer["query_id"].as_str().unwrap());
    let csv = app.get(&path, &owner.token).await.expect(StatusCode::OK);
    assert!(csv.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    assert!(csv.headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains(".csv"));
    let text = csv.body.as_str().unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "order_id,status,note");
    assert_eq!(lines.len() - 1, answer["row_count"].as_u64().unwrap() as usize);
    assert!(lines.len() > 1_001, "more than one batch: {}", lines.len());
    let first = &answer["rows"][0];
    assert_eq!(lines[1], format!("{},{},\"say \"\"hi\"\", twice\"", first[0], first[1].as_str().unwrap()));
    assert_eq!(app.audit_rows("query.export").await.len(), 1);

    // Only a query that succeeded has a result, and only its organisation reads it.
    let refused = app
        .post("/v1/sql", Some(&owner.token), json!({ "datasource_id": id, "sql": "DROP TABLE retail.orders" }))
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    let refused_id = sqlx::query_scalar::<_, uuid::Uuid>("SELECT id FROM query_history WHERE status = 'refused'")
        .fetch_one(&app.db.owner)
        .await
        .unwrap();
    drop(refused);
    app.get(&format!("/v1/queries/{refused_id}/result.csv"), &owner.token)
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
    let outsider = app.signup("outsider@example.com", "Elsewhere").await;
    app.get(&path, &outsider.token).await.expect_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn the_offline_engine_answers_without_any_model_and_declines_what_it_cannot() {
    // No engines file: every kind uses the offline engine, on a model drafted from the schema.
    let (app, _dir, owner, id) = app_with_demo_settings(settings()).await;
    let answer = ask(&app, &owner, &id, "How many orders are there?").await.expect(StatusCode::OK).body;
    assert_eq!(answer["generation"]["engine"], "offline");
    assert!(answer["generation"]["confidence"].as_f64().unwrap() >= 0.6, "{answer}");
    assert!(answer["generation"]["interpretation"].as_str().unwrap().contains("order"), "{answer}");
    let direct = app
        .post(
            "/v1/sql",
            Some(&owner.token),
            json!({ "datasource_id": id, "sql": "SELECT count(*) FROM retail.orders" }),
        )
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(answer["rows"], direct["rows"]);
    assert_eq!(answer["chart"]["kind"], "kpi");

    let declined = ask(&app, &owner, &id, "What is the meaning of life?").await;
    let suggestions = declined.body["error"]["suggestions"].clone();
    declined.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "cannot_answer");
    assert!(suggestions.as_array().is_some_and(|s| !s.is_empty()), "{suggestions}");
    assert_eq!(history(&app).await[2].1, "refused");
    assert_eq!(app.audit_rows("query.ask").await[1].error_code.as_deref(), Some("cannot_answer"));
}

#[tokio::test]
async fn a_semantic_query_compiles_to_guarded_sql_and_is_recorded() {
    let (app, _dir, owner, id) = app_with_demo_settings(settings()).await;
    let query = json!({
        "measures": ["orders.count"],
        "dimensions": ["orders.status"],
        "order": [{ "member": "orders.status", "direction": "asc" }],
    });
    let body = json!({ "datasource_id": id, "query": query });
    let answer = app.post("/v1/semantic/query", Some(&owner.token), body).await.expect(StatusCode::OK).body;
    let sql = "SELECT status, count(*) FROM retail.orders GROUP BY status ORDER BY status";
    let direct = app.post("/v1/sql", Some(&owner.token), json!({ "datasource_id": id, "sql": sql })).await.body;
    assert_eq!(answer["rows"], direct["rows"]);
    assert_eq!(answer["chart"]["kind"], "bar");

    let wrong = json!({ "datasource_id": id, "query": { "measures": ["orders.ghosts"] } });
    app.post("/v1/semantic/query", Some(&owner.token), wrong)
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let malformed = json!({ "datasource_id": id, "query": { "measures": "orders.count", "colour": 1 } });
    app.post("/v1/semantic/query", Some(&owner.token), malformed)
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    // The malformed query never became a query; the other two each left a history row.
    let statuses: Vec<String> =
        sqlx::query_scalar("SELECT status FROM query_history WHERE details->>'semantic_query' IS NOT NULL ORDER BY id")
            .fetch_all(&app.db.owner)
            .await
            .unwrap();
    assert_eq!(statuses, ["succeeded", "refused"]);
    assert_eq!(app.audit_rows("query.semantic").await.len(), 3);
}

#[tokio::test]
async fn editing_engines_yaml_switches_the_next_request_and_a_broken_file_fails_none() {
    // Two model servers answering the same SQL forever, so the engine in use is told by name.
    let answers = |n| (0..n).map(|_| Reply::openai_answer(&fenced(REGIONS_SQL))).collect::<Vec<_>>();
    let (_first, first_url) = Replay::start(answers(400)).await;
    let (_second, second_url) = Replay::start(answers(400)).await;
    let (app, _dir, owner, id, engines_dir) = app_with_model(&first_url, Some(&second_url)).await;
    let path = engines_dir.path().join("engines.yaml");
    let watcher = tokio::spawn(kurobe_server::engines::reload_on_change(app.state.clone()));
    let engine_of = |body: &Value| body["generation"]["engine"].as_str().unwrap_or_default().to_owned();
    // Distinct questions, so answers come from the engine rather than the result cache.
    let question = |n: usize| format!("orders per region, take {n}");
    assert_eq!(engine_of(&ask(&app, &owner, &id, &question(0)).await.expect(StatusCode::OK).body), "model");

    // Make `second` the default: the next requests use it, within two seconds.
    let yaml = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, yaml.replacen("default: model", "default: second", 1)).unwrap();
    let edited = std::time::Instant::now();
    let mut n = 1;
    loop {
        let body = ask(&app, &owner, &id, &question(n)).await.expect(StatusCode::OK).body;
        n += 1;
        if engine_of(&body) == "second" {
            break;
        }
        assert!(edited.elapsed() < std::time::Duration::from_secs(2), "still on the old engine after 2 s");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    eprintln!("the edited registry answered {:?} after the edit", edited.elapsed());

    // A broken file written in the middle of a load of concurrent asks fails none of them
    // and keeps the running registry.
    let load = (0..40).map(|i| {
        let (app, owner, id) = (&app, &owner, &id);
        async move { ask(app, owner, id, &question(1_000 + i)).await }
    });
    let breaking = async {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        std::fs::write(&path, "text_to_sql: [this is not: a registry").unwrap();
    };
    let (responses, ()) = tokio::join!(futures_util::future::join_all(load), breaking);
    let failed = responses.iter().filter(|r| r.status != StatusCode::OK).count();
    assert_eq!(failed, 0, "{:?}", responses.iter().find(|r| r.status != StatusCode::OK));
    assert!(responses.iter().all(|r| engine_of(&r.body) == "second"));
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    // Read from the server itself: the refusal's message is for operators, not this owner.
    let status = kurobe_server::engines::status(&app.state.engines);
    assert!(status.reload_failures >= 1 && status.last_error.is_some(), "{status:?}");
    assert_eq!(engine_of(&ask(&app, &owner, &id, &question(2_000)).await.expect(StatusCode::OK).body), "second");
    watcher.abort();
}

#[tokio::test]
async fn a_visualization_model_picks_among_the_chart_kinds_and_falls_back_to_the_rules() {
    let pie = r#"{"kind": "pie", "x": "region", "y": ["orders"], "series": null, "format": "integer"}"#;
    let (replay, url) = Replay::start(vec![
        Reply::openai_answer(pie),
        Reply::openai_answer(r#"{"kind": "sankey", "x": "region"}"#),
        Reply::openai_answer(r#"<script>alert(1)</script>"#),
    ])
    .await;
    let engines_dir = tempfile::tempdir().unwrap();
    let path = engines_dir.path().join("engines.yaml");
    let yaml = format!(
        "text_to_sql:\n  default: offline\n  engines:\n    offline:\n      provider: rule_based\n\
         visualization:\n  default: charts\n  engines:\n    charts:\n      provider: openai_compatible\n      config:\n        base_url: {url}/v1\n        model: replayed\n        max_retries: 0\n    rules:\n      provider: rule_based\n\
         semantic:\n  default: linker\n  engines:\n    linker:\n      provider: rule_based\n"
    );
    std::fs::write(&path, yaml).unwrap();
    let mut settings = settings();
    settings.engines.file = Some(path);
    let (app, _dir, owner, id) = app_with_demo_settings(settings).await;
    let sql = |n: u32| json!({ "datasource_id": id, "sql": format!("{REGIONS_SQL} LIMIT {n}") });
    let chart = |body: Value| body["chart"]["kind"].as_str().unwrap().to_owned();
    assert_eq!(chart(app.post("/v1/sql", Some(&owner.token), sql(100)).await.expect(StatusCode::OK).body), "pie");
    // A kind that does not exist, and an answer that is not a chart: the rules decide.
    assert_eq!(chart(app.post("/v1/sql", Some(&owner.token), sql(99)).await.expect(StatusCode::OK).body), "bar");
    assert_eq!(chart(app.post("/v1/sql", Some(&owner.token), sql(98)).await.expect(StatusCode::OK).body), "bar");
    let asked = replay.requests()[0].2["messages"][1]["content"].as_str().unwrap().to_owned();
    assert!(asked.contains("region") && asked.contains("orders"), "{asked}");
}
