use axum::http::{Method, StatusCode};
use kurobe_duckdb::duckdb;
use serde_json::{Value, json};

use crate::support::{TestApp, settings};

/// An app whose DuckDB fence is a temporary folder holding `shop.duckdb`.
async fn app_with_duckdb() -> (TestApp, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.duckdb");
    let conn = duckdb::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE sales (id INTEGER PRIMARY KEY, region VARCHAR NOT NULL, amount DECIMAL(10,2)); \
         INSERT INTO sales SELECT i, CASE WHEN i % 2 = 0 THEN 'EMEA' ELSE 'APAC' END, i * 1.5 FROM range(1, 21) t(i);",
    )
    .unwrap();
    drop(conn);
    let mut settings = settings();
    settings.connectors.duckdb_dirs = vec![dir.path().to_path_buf()];
    let app = TestApp::with_settings(settings).await;
    (app, dir, path.display().to_string())
}

/// A Postgres database on the test cluster, reachable with the admin's password.
async fn postgres_source(app: &TestApp) -> (Value, String) {
    let admin: tokio_postgres::Config = std::env::var("KUROBE_TEST_ADMIN_URL").unwrap().parse().unwrap();
    let password = String::from_utf8(admin.get_password().unwrap().to_vec()).unwrap();
    let host = match &admin.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
        other => panic!("{other:?}"),
    };
    sqlx::query("CREATE TABLE IF NOT EXISTS widgets (id int PRIMARY KEY, colour text)")
        .execute(&app.db.owner)
        .await
        .unwrap();
    let config = json!({
        "kind": "postgres", "host": host, "port": admin.get_ports()[0], "database": app.db.name,
        "user": admin.get_user().unwrap(), "context_settings": { "app.user_id": "{{user.id}}" }
    });
    (config, password)
}

/// Creates the Postgres source of [`postgres_source`] with its password.
async fn create_warehouse(app: &TestApp, admin: &crate::support::Session) -> (crate::support::Response, String) {
    let (config, password) = postgres_source(app).await;
    let body = json!({ "name": "Warehouse", "config": config, "credentials": { "password": password } });
    (app.post("/v1/datasources", Some(&admin.token), body).await.expect(StatusCode::CREATED), password)
}

#[tokio::test]
async fn a_duckdb_source_is_created_tested_introspected_and_refreshed() {
    let (app, _dir, path) = app_with_duckdb().await;
    let admin = app.signup("admin@example.com", "Acme").await;
    let created = app
        .post(
            "/v1/datasources",
            Some(&admin.token),
            json!({ "name": "Shop", "config": { "kind": "duckdb", "path": path } }),
        )
        .await
        .expect(StatusCode::CREATED)
        .body;
    assert_eq!(
        (created["has_credentials"].as_bool(), created["health"]["status"].as_str()),
        (Some(false), Some("unknown"))
    );
    assert_eq!(created["limits"], json!({ "timeout_seconds": 30, "max_rows": 10000, "cache_ttl_seconds": 300 }));
    let id = created["id"].as_str().unwrap();

    let test = app
        .post(&format!("/v1/datasources/{id}/test"), Some(&admin.token), json!({}))
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(test["ok"], true, "{test}");
    assert!(test["version"].as_str().unwrap().starts_with("DuckDB"));
    let read = app.get(&format!("/v1/datasources/{id}"), &admin.token).await.expect(StatusCode::OK).body;
    assert_eq!(read["health"]["status"], "ok");

    let schema = app.get(&format!("/v1/datasources/{id}/schema"), &admin.token).await.expect(StatusCode::OK).body;
    assert_eq!(schema["generation"], 1);
    let sales = &schema["schema"]["tables"][0];
    assert_eq!((sales["name"].as_str(), sales["primary_key"].clone()), (Some("sales"), json!(["id"])));
    assert_eq!(sales["columns"][1]["sample_values"], json!(["APAC", "EMEA"]));

    let refreshed = app
        .post(&format!("/v1/datasources/{id}/refresh"), Some(&admin.token), json!({}))
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(refreshed["generation"], 2);
    let listed = app.get("/v1/datasources", &admin.token).await.body;
    assert_eq!(
        (listed[0]["schema"]["generation"].as_i64(), listed[0]["schema"]["tables"].as_i64()),
        (Some(2), Some(1))
    );
    for action in ["datasource.create", "datasource.test", "datasource.refresh"] {
        assert_eq!(app.audit_rows(action).await.len(), 1, "{action}");
    }
}

#[tokio::test]
async fn duckdb_files_outside_the_allowed_folders_are_refused() {
    let (app, dir, _) = app_with_duckdb().await;
    let admin = app.signup("admin@example.com", "Acme").await;
    let elsewhere = tempfile::tempdir().unwrap();
    let outside = elsewhere.path().join("x.duckdb");
    std::fs::write(&outside, b"").unwrap();
    let escape =
        format!("{}/../{}/x.duckdb", dir.path().display(), elsewhere.path().file_name().unwrap().to_str().unwrap());
    let link = dir.path().join("link.duckdb");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    for path in [
        outside.display().to_string(),
        escape,
        link.display().to_string(),
        "/etc/passwd".into(),
        dir.path().display().to_string(),
    ] {
        app.post(
            "/v1/datasources",
            Some(&admin.token),
            json!({ "name": "x", "config": { "kind": "duckdb", "path": path } }),
        )
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    }
    assert_eq!(app.count("SELECT count(*) FROM data_sources").await, 0);
}

#[tokio::test]
async fn credentials_are_write_only_and_never_leave_in_clear() {
    let (app, _dir, _) = app_with_duckdb().await;
    let admin = app.signup("admin@example.com", "Acme").await;
    let (created, password) = create_warehouse(&app, &admin).await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["has_credentials"], true);

    let mut responses = vec![created.body.to_string()];
    let test =
        app.post(&format!("/v1/datasources/{id}/test"), Some(&admin.token), json!({})).await.expect(StatusCode::OK);
    assert_eq!(test.body["ok"], true, "{}", test.body);
    responses.push(test.body.to_string());
    responses.push(app.get(&format!("/v1/datasources/{id}"), &admin.token).await.body.to_string());
    responses.push(app.get("/v1/datasources", &admin.token).await.body.to_string());
    let schema = app.get(&format!("/v1/datasources/{id}/schema"), &admin.token).await.expect(StatusCode::OK);
    assert!(schema.body["schema"]["tables"].as_array().unwrap().iter().any(|t| t["name"] == "widgets"));
    responses.push(schema.body.to_string());
    // A wrong password is reported as a failing source, without echoing any password.
    let patched = app
        .call(
            Method::PATCH,
            &format!("/v1/datasources/{id}"),
            Some(&admin.token),
            Some(json!({ "credentials": { "password": "wrong-pass-123" } })),
        )
        .await
        .expect(StatusCode::OK);
    responses.push(patched.body.to_string());
    let failing =
        app.post(&format!("/v1/datasources/{id}/test"), Some(&admin.token), json!({})).await.expect(StatusCode::OK);
    assert_eq!(failing.body["ok"], false, "{}", failing.body);
    responses.push(failing.body.to_string());
    responses.push(app.get("/v1/audit?limit=500", &admin.token).await.body.to_string());
    for text in &responses {
        assert!(!text.contains(&password) && !text.contains("wrong-pass-123"), "a credential leaked: {text}");
    }
    let stored: String = sqlx::query_scalar(
        "SELECT concat_ws(' ', (SELECT string_agg(a::text, ' ') FROM audit_log a), (SELECT string_agg(d::text, ' ') FROM data_sources d), \
         (SELECT encode(credentials, 'escape') FROM data_sources))",
    )
    .fetch_one(&app.db.owner)
    .await
    .unwrap();
    assert!(!stored.contains(&password) && !stored.contains("wrong-pass-123"));
    assert!(!crate::support::captured_logs().contains(&password), "a credential reached the logs");
}

#[tokio::test]
async fn data_sources_are_isolated_and_roles_apply() {
    let (app, _dir, path) = app_with_duckdb().await;
    let a = app.signup("a@example.com", "Alpha").await;
    let b = app.signup("b@example.com", "Beta").await;
    let viewer = app.member(&a, "viewer@example.com", "viewer").await;
    let b_source = app
        .post(
            "/v1/datasources",
            Some(&b.token),
            json!({ "name": "Shop", "config": { "kind": "duckdb", "path": path } }),
        )
        .await
        .expect(StatusCode::CREATED)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (method, suffix) in [
        (Method::GET, ""),
        (Method::PATCH, ""),
        (Method::DELETE, ""),
        (Method::POST, "/test"),
        (Method::GET, "/schema"),
        (Method::POST, "/refresh"),
    ] {
        let body = (method == Method::PATCH).then(|| json!({ "name": "stolen" }));
        app.call(method, &format!("/v1/datasources/{b_source}{suffix}"), Some(&a.token), body)
            .await
            .expect_error(StatusCode::NOT_FOUND, "not_found");
    }
    assert_eq!(app.get("/v1/datasources", &a.token).await.body, json!([]));
    app.post(
        "/v1/datasources",
        Some(&viewer.token),
        json!({ "name": "x", "config": { "kind": "duckdb", "path": path } }),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden");
    app.get("/v1/datasources", &viewer.token).await.expect(StatusCode::OK);
    // Same name twice in one organisation is a conflict; in another it is fine.
    app.post(
        "/v1/datasources",
        Some(&b.token),
        json!({ "name": "Shop", "config": { "kind": "duckdb", "path": path } }),
    )
    .await
    .expect_error(StatusCode::CONFLICT, "conflict");
    app.post(
        "/v1/datasources",
        Some(&a.token),
        json!({ "name": "Shop", "config": { "kind": "duckdb", "path": path } }),
    )
    .await
    .expect(StatusCode::CREATED);
}

#[tokio::test]
async fn bad_data_source_input_is_explained() {
    let (app, _dir, path) = app_with_duckdb().await;
    let admin = app.signup("admin@example.com", "Acme").await;
    let cases = [
        (json!({ "name": "x", "config": { "kind": "oracle", "host": "h" } }), StatusCode::BAD_REQUEST, "invalid_json"),
        (
            json!({ "name": "x", "config": { "kind": "duckdb", "path": path, "extra": 1 } }),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            json!({ "name": "", "config": { "kind": "duckdb", "path": path } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({ "name": "x", "config": { "kind": "duckdb", "path": path }, "limits": { "timeout_seconds": 301, "max_rows": 10 } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({ "name": "x", "config": { "kind": "trino", "url": "http://127.0.0.1:1", "user": "u", "catalog": "c", "auth": "basic" } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({ "name": "x", "config": { "kind": "postgres", "host": "h", "database": "d", "user": "u", "context_settings": { "app.x": "{{user.password}}" } } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
    ];
    for (body, status, code) in cases {
        app.post("/v1/datasources", Some(&admin.token), body).await.expect_error(status, code);
    }
    assert_eq!(app.count("SELECT count(*) FROM data_sources").await, 0);
}

#[tokio::test]
async fn a_failing_source_degrades_only_itself() {
    let (app, _dir, path) = app_with_duckdb().await;
    let admin = app.signup("admin@example.com", "Acme").await;
    let dead = app
        .post(
            "/v1/datasources",
            Some(&admin.token),
            json!({ "name": "Down", "config": { "kind": "postgres", "host": "127.0.0.1", "port": 1, "database": "d", "user": "u" } }),
        )
        .await
        .expect(StatusCode::CREATED)
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let live = app
        .post(
            "/v1/datasources",
            Some(&admin.token),
            json!({ "name": "Shop", "config": { "kind": "duckdb", "path": path } }),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let down = app
        .post(&format!("/v1/datasources/{dead}/test"), Some(&admin.token), json!({}))
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(down["ok"], false);
    assert!(down["error"].as_str().unwrap().contains("connect"), "{down}");
    app.get(&format!("/v1/datasources/{dead}/schema"), &admin.token)
        .await
        .expect_error(StatusCode::BAD_GATEWAY, "datasource_unavailable");
    let up = app.post(&format!("/v1/datasources/{live}/test"), Some(&admin.token), json!({})).await.body;
    assert_eq!(up["ok"], true);
    let listed = app.get("/v1/datasources", &admin.token).await.body;
    let statuses: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["name"].as_str().unwrap(), d["health"]["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, vec![("Down", "failing"), ("Shop", "ok")]);
}

#[tokio::test]
async fn rotating_the_master_key_reseals_credentials_that_still_work() {
    let (app, _dir, _) = app_with_duckdb().await;
    let admin = app.signup("admin@example.com", "Acme").await;
    let (created, _) = create_warehouse(&app, &admin).await;
    let id = created.body["id"].as_str().unwrap().to_owned();

    let old_key = settings().security.master_keys.unwrap();
    let rotated = format!(
        "{},2:{}",
        secrecy::ExposeSecret::expose_secret(&old_key),
        "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="
    );
    let keys = kurobe_server::crypto::MasterKeys::parse(&rotated).unwrap();
    let rotation = kurobe_server::admin::rotate_keys(&app.state.store, &keys).await.unwrap();
    assert_eq!((rotation.resealed, rotation.current), (1, 0));
    let again = kurobe_server::admin::rotate_keys(&app.state.store, &keys).await.unwrap();
    assert_eq!((again.resealed, again.current), (0, 1));
    let version: i32 = app.count_i32("SELECT credentials_key_version FROM data_sources").await;
    assert_eq!(version, 2);

    // The server opens them with the rotated keys; the old key alone no longer can.
    let state = kurobe_server::AppState::new(kurobe_server::state::Shared {
        master_keys: std::sync::Arc::new(keys),
        ..(*app.state).clone()
    });
    let mut tx = state.store.begin(&kurobe_store::Context::org(admin.org_id)).await.unwrap();
    let record = tx.data_source(id.parse().unwrap()).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    let test = kurobe_server::datasources::check_health(&state, &record).await.unwrap();
    assert!(test.ok, "{test:?}");
    let old_only = kurobe_server::crypto::MasterKeys::parse(secrecy::ExposeSecret::expose_secret(&old_key)).unwrap();
    assert!(kurobe_server::datasources::open_credentials(&record, &old_only).is_err());
    assert_eq!(app.audit_rows("cli.datasource.reseal").await.len(), 1);
}

#[tokio::test]
async fn the_periodic_check_covers_every_organisation() {
    let (app, _dir, path) = app_with_duckdb().await;
    let mut ids = vec![];
    for (email, org) in [("a@example.com", "Alpha"), ("b@example.com", "Beta")] {
        let owner = app.signup(email, org).await;
        let body = json!({ "name": "Shop", "config": { "kind": "duckdb", "path": path } });
        ids.push(
            app.post("/v1/datasources", Some(&owner.token), body).await.expect(StatusCode::CREATED).body["id"].clone(),
        );
    }
    kurobe_server::datasources::check_every_source(&app.state).await.unwrap();
    let healthy = app.count("SELECT count(*) FROM data_source_health WHERE status = 'ok'").await;
    assert_eq!(healthy, 2, "{ids:?}");
}
