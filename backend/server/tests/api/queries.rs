use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{Session, TestApp, settings};

/// An app with the demo dataset (scale 0.001) as a DuckDB data source of a new
/// organisation.
async fn app_with_demo() -> (TestApp, tempfile::TempDir, Session, String) {
    app_with_demo_settings(settings()).await
}

/// As [`app_with_demo`], with these settings.
pub async fn app_with_demo_settings(
    mut settings: kurobe_server::Settings,
) -> (TestApp, tempfile::TempDir, Session, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.duckdb");
    kurobe_server::demo::load_duckdb(&path, kurobe_demo::ScaleFactor::new(0.001).unwrap()).await.unwrap();
    settings.connectors.duckdb_dirs = vec![dir.path().to_path_buf()];
    let app = TestApp::with_settings(settings).await;
    let owner = app.signup("owner@example.com", "Acme").await;
    let body = json!({ "name": "Demo", "config": { "kind": "duckdb", "path": path.display().to_string() } });
    let id = app.post("/v1/datasources", Some(&owner.token), body).await.expect(StatusCode::CREATED).body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (app, dir, owner, id)
}

#[tokio::test]
async fn guarded_sql_runs_and_leaves_one_history_and_one_audit_row() {
    let (app, _dir, owner, id) = app_with_demo().await;
    let sql = "SELECT status, count(*) AS orders FROM retail.orders GROUP BY status ORDER BY status";
    let answer = app
        .post("/v1/sql", Some(&owner.token), json!({ "datasource_id": id, "sql": sql }))
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(answer["row_count"], 5);
    assert_eq!(answer["rows"][0][0], "cancelled");
    assert_eq!(answer["columns"][1]["data_type"], json!({ "kind": "integer", "bits": 64 }));
    assert_eq!(answer["truncated"], false);
    assert_eq!(answer["chart"]["kind"], "bar");
    assert!(answer["sql"].as_str().unwrap().ends_with("LIMIT 10001"), "{}", answer["sql"]);
    assert!(answer["timings"]["total_ms"].as_f64().unwrap() >= answer["timings"]["execute_ms"].as_f64().unwrap());

    let history: (String, Option<i64>) =
        sqlx::query_as("SELECT status, row_count FROM query_history").fetch_one(&app.db.owner).await.unwrap();
    assert_eq!(history, ("succeeded".into(), Some(5)));
    let audit = app.audit_rows("query.sql").await;
    assert_eq!((audit.len(), audit[0].outcome.as_str()), (1, "success"));
}

#[tokio::test]
async fn refused_and_failing_sql_is_recorded_and_explained() {
    let (app, _dir, owner, id) = app_with_demo().await;
    let cases = [
        ("DROP TABLE retail.orders", StatusCode::UNPROCESSABLE_ENTITY, "sql_refused", "refused"),
        ("SELECT * FROM read_csv('/etc/passwd')", StatusCode::UNPROCESSABLE_ENTITY, "sql_refused", "refused"),
        ("SELECT 1; SELECT 2", StatusCode::UNPROCESSABLE_ENTITY, "sql_refused", "refused"),
        ("SELECT no_such_column FROM retail.orders", StatusCode::UNPROCESSABLE_ENTITY, "query_failed", "failed"),
    ];
    for (sql, status, code, _) in &cases {
        let response = app.post("/v1/sql", Some(&owner.token), json!({ "datasource_id": id, "sql": sql })).await;
        let message = response.body["error"]["message"].as_str().unwrap_or_default().to_owned();
        response.expect_error(*status, code);
        assert!(!message.is_empty());
    }
    let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM query_history ORDER BY created_at, id")
        .fetch_all(&app.db.owner)
        .await
        .unwrap();
    assert_eq!(statuses, cases.iter().map(|c| c.3).collect::<Vec<_>>());
    let audit = app.audit_rows("query.sql").await;
    let codes: Vec<Option<&str>> = audit.iter().map(|r| r.error_code.as_deref()).collect();
    assert_eq!(codes, cases.iter().map(|c| Some(c.2)).collect::<Vec<_>>());
}

#[tokio::test]
async fn the_row_cap_of_the_data_source_applies() {
    let (app, _dir, owner, id) = app_with_demo().await;
    app.call(
        Method::PATCH,
        &format!("/v1/datasources/{id}"),
        Some(&owner.token),
        Some(json!({ "limits": { "timeout_seconds": 30, "max_rows": 10 } })),
    )
    .await
    .expect(StatusCode::OK);
    let answer = app
        .post(
            "/v1/sql",
            Some(&owner.token),
            json!({ "datasource_id": id, "sql": "SELECT * FROM retail.orders ORDER BY order_id" }),
        )
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!((answer["row_count"].as_u64(), answer["truncated"].as_bool()), (Some(10), Some(true)));
}

#[tokio::test]
async fn other_organisations_and_viewers_cannot_run_sql() {
    let (app, _dir, owner, id) = app_with_demo().await;
    let outsider = app.signup("outsider@example.com", "Other").await;
    let viewer = app.member(&owner, "viewer@example.com", "viewer").await;
    let body = json!({ "datasource_id": id, "sql": "SELECT 1" });
    app.post("/v1/sql", Some(&outsider.token), body.clone()).await.expect_error(StatusCode::NOT_FOUND, "not_found");
    app.post("/v1/sql", Some(&viewer.token), body).await.expect_error(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(app.count("SELECT count(*) FROM query_history").await, 0);
}

#[tokio::test]
async fn the_history_lists_filters_pages_and_stays_in_its_organisation() {
    let (app, _dir, owner, id) = app_with_demo().await;
    for sql in ["SELECT count(*) FROM retail.orders", "DROP TABLE retail.orders", "SELECT nope FROM retail.orders"] {
        app.post("/v1/sql", Some(&owner.token), json!({ "datasource_id": id, "sql": sql })).await;
    }
    let all = app.get("/v1/queries", &owner.token).await.expect(StatusCode::OK).body;
    let statuses: Vec<&str> = all["items"].as_array().unwrap().iter().map(|q| q["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["failed", "refused", "succeeded"], "newest first");
    assert!(all["next_before"].is_null());

    let refused = app.get("/v1/queries?status=refused", &owner.token).await.body;
    assert_eq!(refused["items"][0]["sql"], "DROP TABLE retail.orders");
    let found = app.get("/v1/queries?q=drop%20table", &owner.token).await.body;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let first = app.get("/v1/queries?limit=1", &owner.token).await.body;
    let cursor = first["next_before"].as_str().unwrap().to_owned();
    let second = app.get(&format!("/v1/queries?limit=1&before={cursor}"), &owner.token).await.body;
    assert_eq!(second["items"][0]["status"], "refused");
    app.get("/v1/queries?status=maybe", &owner.token)
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    let query_id = all["items"][2]["id"].as_str().unwrap();
    let one = app.get(&format!("/v1/queries/{query_id}"), &owner.token).await.expect(StatusCode::OK).body;
    assert_eq!((one["row_count"].as_i64(), one["datasource_id"].as_str()), (Some(1), Some(id.as_str())));
    let outsider = app.signup("outsider@example.com", "Other").await;
    app.get(&format!("/v1/queries/{query_id}"), &outsider.token).await.expect_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(app.get("/v1/queries", &outsider.token).await.body["items"], json!([]));
}

#[tokio::test]
async fn questions_are_saved_and_answers_rated() {
    let (app, _dir, owner, id) = app_with_demo().await;
    let body = json!({ "name": "Orders by status", "datasource_id": id, "sql": "SELECT status, count(*) FROM retail.orders GROUP BY 1" });
    let saved = app.post("/v1/saved", Some(&owner.token), body.clone()).await.expect(StatusCode::CREATED).body;
    app.post("/v1/saved", Some(&owner.token), body).await.expect_error(StatusCode::CONFLICT, "conflict");
    let listed = app.get("/v1/saved", &owner.token).await.body;
    assert_eq!(listed[0]["name"], "Orders by status");
    let outsider = app.signup("outsider@example.com", "Other").await;
    assert_eq!(app.get("/v1/saved", &outsider.token).await.body, json!([]));
    let saved_id = saved["id"].as_str().unwrap();
    app.call(Method::DELETE, &format!("/v1/saved/{saved_id}"), Some(&outsider.token), None)
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    app.call(Method::DELETE, &format!("/v1/saved/{saved_id}"), Some(&owner.token), None)
        .await
        .expect(StatusCode::NO_CONTENT);

    let answer =
        app.post("/v1/sql", Some(&owner.token), json!({ "datasource_id": id, "sql": "SELECT 1 AS one" })).await.body;
    let query_id = answer["query_id"].as_str().unwrap();
    for rating in ["down", "up"] {
        app.post(&format!("/v1/queries/{query_id}/feedback"), Some(&owner.token), json!({ "rating": rating }))
            .await
            .expect(StatusCode::NO_CONTENT);
    }
    let ratings: Vec<i16> =
        sqlx::query_scalar("SELECT rating FROM query_feedback").fetch_all(&app.db.owner).await.unwrap();
    assert_eq!(ratings, [1], "the second rating replaced the first");
    app.post(&format!("/v1/queries/{query_id}/feedback"), Some(&outsider.token), json!({ "rating": "up" }))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    app.post(&format!("/v1/queries/{query_id}/feedback"), Some(&owner.token), json!({ "rating": "meh" }))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_json");
}
