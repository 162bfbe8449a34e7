//! Background jobs on the durable queue: schedules that fire, runs that warm the cache and
//! purge the audit log, failures visible and retried through the admin API, and a queued
//! run that outlives the server that queued it.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use kurobe_server::{Settings, jobs};
use kurobe_store::AuditMaintenance;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    queries::app_with_demo_settings,
    support::{Session, TestApp, settings},
};

/// Jobs that run only when asked, with workers that look for due retries every second.
fn job_settings() -> Settings {
    let mut settings = settings();
    settings.jobs.poll_seconds = 1;
    settings.jobs.schema_refresh_schedule = String::new();
    settings.jobs.cache_warm_schedule = String::new();
    settings.jobs.audit_retention_schedule = String::new();
    settings
}

/// Waits until `admin` sees a run of `job` that `done` accepts, and returns it.
async fn wait_for_run(app: &TestApp, admin: &Session, job: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let status = app.get("/v1/admin/jobs", &admin.token).await.expect(StatusCode::OK).body;
        let runs = status["runs"].as_array().unwrap();
        if let Some(run) = runs.iter().find(|run| run["job"] == job && done(run)) {
            return run.clone();
        }
        assert!(std::time::Instant::now() < deadline, "no such run of {job} in time: {status}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn finished(run: &Value) -> bool {
    run["state"] == "succeeded" || run["state"] == "failed"
}

#[tokio::test]
async fn a_scheduled_schema_refresh_bumps_the_generation() {
    let mut settings = job_settings();
    settings.jobs.schema_refresh_schedule = "* * * * * *".into();
    let (app, _dir, owner, id) = app_with_demo_settings(settings).await;
    let generation =
        format!("SELECT coalesce(max(generation), 0) FROM data_source_schemas WHERE datasource_id = '{id}'");
    let before = app.count(&generation).await;

    let runner = jobs::start(app.state.clone());
    let run = wait_for_run(&app, &owner, "schema_refresh", |run| run["state"] == "succeeded").await;
    runner.stop().await;

    assert_eq!(
        (run["trigger"].as_str(), run["attempts"].as_u64(), &run["requested_by"]),
        (Some("schedule"), Some(1), &Value::Null)
    );
    let refreshed = &run["result"]["refreshed"][0];
    assert_eq!(refreshed["datasource_id"], id.as_str());
    assert!(refreshed["generation"].as_i64().unwrap() > before, "{run}");
    assert!(app.count(&generation).await > before);
    // The run is audited in the organisation's chain, by no one: the schedule did it.
    let audited = app.audit_rows("job.schema_refresh").await;
    let row = audited.iter().find(|r| r.target.as_deref() == run["id"].as_str()).expect("the run's audit row");
    assert_eq!((row.org_id, row.actor_user_id, row.outcome.as_str()), (Some(owner.org_id), None, "success"));
    assert_eq!((row.user_agent.as_deref(), row.request_id.as_deref()), (Some("kurobe-jobs"), run["id"].as_str()));
}

#[tokio::test]
async fn warming_a_pinned_question_makes_the_next_identical_ask_a_cache_hit() {
    let (app, _dir, owner, id) = app_with_demo_settings(job_settings()).await;
    let pinner = app.member(&owner, "pinner@example.com", "analyst").await;
    let analyst = app.member(&owner, "analyst@example.com", "analyst").await;
    // A statement of this test's own, which no earlier run can have cached.
    let sql = format!(
        "SELECT status, count(*) AS n, '{}' AS nonce FROM retail.orders GROUP BY status ORDER BY status",
        Uuid::new_v4()
    );
    let body = json!({ "name": "Orders by status", "datasource_id": id, "sql": sql });
    let saved = app.post("/v1/saved", Some(&pinner.token), body).await.expect(StatusCode::CREATED).body;
    assert_eq!(saved["pinned"], false);
    let pin = format!("/v1/saved/{}/pin", saved["id"].as_str().unwrap());
    let pinned = app.call(Method::PUT, &pin, Some(&pinner.token), None).await.expect(StatusCode::OK).body;
    assert_eq!(
        (&pinned["pinned"], pinned["pinned_by"].as_str()),
        (&json!(true), Some(pinner.user_id.to_string().as_str()))
    );

    let runner = jobs::start(app.state.clone());
    let queued =
        app.post("/v1/admin/jobs/cache_warm/run", Some(&owner.token), json!({})).await.expect(StatusCode::ACCEPTED);
    assert_eq!((queued.body["state"].as_str(), queued.body["trigger"].as_str()), (Some("queued"), Some("manual")));
    let run_id = queued.body["id"].as_str().unwrap().to_owned();
    let run = wait_for_run(&app, &owner, "cache_warm", |run| run["id"] == run_id.as_str() && finished(run)).await;
    runner.stop().await;
    assert_eq!(run["state"], "succeeded", "{run}");
    assert_eq!(run["result"], json!({ "warmed": 1, "already_cached": 0, "skipped": [] }));

    // Another analyst asking the very same gets the warmed rows.
    let answer = app.post("/v1/sql", Some(&analyst.token), json!({ "datasource_id": id, "sql": sql })).await;
    assert_eq!(answer.expect(StatusCode::OK).body["cache"]["hit"], true);

    // The warming ran as the member who pinned the question, and says so in the audit log.
    let warm = app.audit_rows("query.warm").await;
    assert_eq!(warm.len(), 1);
    assert_eq!(
        (warm[0].actor_user_id, warm[0].org_id, warm[0].outcome.as_str()),
        (Some(pinner.user_id), Some(owner.org_id), "success")
    );
    assert_eq!(
        (warm[0].user_agent.as_deref(), warm[0].request_id.as_deref()),
        (Some("kurobe-jobs"), Some(run_id.as_str()))
    );
    assert_eq!(warm[0].target.as_deref(), saved["id"].as_str());
    // The request to run it and the run itself: both the administrator's.
    let asked = app.audit_rows("job.run").await;
    assert_eq!(
        (asked.len(), asked[0].actor_user_id, asked[0].target.as_deref()),
        (1, Some(owner.user_id), Some("cache_warm"))
    );
    let done = app.audit_rows("job.cache_warm").await;
    assert_eq!((done.len(), done[0].actor_user_id, done[0].outcome.as_str()), (1, Some(owner.user_id), "success"));

    let unpinned = app.call(Method::DELETE, &pin, Some(&pinner.token), None).await.expect(StatusCode::OK).body;
    assert_eq!((&unpinned["pinned"], &unpinned["pinned_by"]), (&json!(false), &Value::Null));
}

/// The owner's URL of the test's database, for the retention job's purge.
fn owner_url(app: &TestApp) -> String {
    let mut url = url::Url::parse(&std::env::var("KUROBE_TEST_ADMIN_URL").unwrap()).unwrap();
    url.set_path(&format!("/{}", app.db.name));
    url.to_string()
}

#[tokio::test]
async fn retention_purges_old_audit_rows_and_every_chain_still_verifies() {
    let first = TestApp::with_settings(job_settings()).await;
    let mut settings = job_settings();
    settings.database.migration_url = Some(secrecy::SecretString::from(owner_url(&first)));
    settings.jobs.audit_retention_days = 30;
    settings.jobs.audit_retention_schedule = "* * * * * *".into();
    let app = TestApp::attach(&first, settings).await;
    let owner = app.signup("owner@example.com", "Acme").await;
    // An organisation whose whole chain is older than the retention period.
    let old = app.db.insert_org("Old").await;
    for _ in 0..5 {
        sqlx::query(
            "INSERT INTO audit_log (id, org_id, action, outcome, created_at) \
             VALUES ($1, $2, 'test.old', 'success', now() - interval '40 days')",
        )
        .bind(Uuid::now_v7())
        .bind(old)
        .execute(&app.db.owner)
        .await
        .unwrap();
    }
    let status = app.get("/v1/admin/jobs", &owner.token).await.expect(StatusCode::OK).body;
    let retention = status["jobs"].as_array().unwrap().iter().find(|j| j["name"] == "audit_retention").unwrap().clone();
    assert_eq!(
        (&retention["enabled"], &retention["scope"], &retention["disabled_reason"]),
        (&json!(true), &json!("system"), &Value::Null)
    );

    let runner = jobs::start(app.state.clone());
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while app.count(&format!("SELECT count(*) FROM audit_log WHERE org_id = '{old}'")).await > 0 {
        assert!(std::time::Instant::now() < deadline, "the old rows were not purged in time");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    runner.stop().await;

    let reports = AuditMaintenance::from_pool(app.db.owner.clone()).verify(None).await.unwrap();
    assert!(reports.iter().all(|r| r.holds()), "{reports:?}");
    let old_chain = reports.iter().find(|r| r.chain.org_id() == Some(old)).unwrap();
    assert_eq!(old_chain.checkpoint.as_ref().map(|c| c.purged_rows), Some(5));
    // The organisation's own rows are recent and stay.
    assert!(app.count(&format!("SELECT count(*) FROM audit_log WHERE org_id = '{}'", owner.org_id)).await > 0);
    // The purge names the job; the run is the server's own, in the system chain, and no
    // tenant lists it.
    let purges = app.audit_rows("audit.purge").await;
    assert!(purges.iter().all(|r| r.user_agent.as_deref() == Some("kurobe-jobs") && r.org_id.is_none()), "{purges:?}");
    assert!(
        app.count(
            "SELECT count(*) FROM job_runs WHERE job = 'audit_retention' AND org_id IS NULL AND state = 'succeeded'"
        )
        .await
            > 0
    );
    let status = app.get("/v1/admin/jobs", &owner.token).await.expect(StatusCode::OK).body;
    assert_eq!(status["runs"], json!([]));
}

#[tokio::test]
async fn a_failing_job_shows_its_error_and_is_retried_through_the_api() {
    let mut settings = job_settings();
    settings.jobs.max_attempts = 2;
    let app = TestApp::with_settings(settings).await;
    let owner = app.signup("owner@example.com", "Acme").await;
    let analyst = app.member(&owner, "analyst@example.com", "analyst").await;
    // A warehouse nobody listens for.
    let port = crate::support::spare_port();
    let body = json!({ "name": "Broken", "config": {
        "kind": "postgres", "host": "127.0.0.1", "port": port, "database": "nowhere", "user": "nobody" } });
    let source = app.post("/v1/datasources", Some(&owner.token), body).await.expect(StatusCode::CREATED).body;

    let status = app.get("/v1/admin/jobs", &owner.token).await.expect(StatusCode::OK).body;
    let retention = status["jobs"].as_array().unwrap().iter().find(|j| j["name"] == "audit_retention").unwrap().clone();
    assert_eq!(retention["enabled"], false);
    assert!(retention["disabled_reason"].as_str().unwrap().contains("database.migration_url"), "{retention}");

    let runner = jobs::start(app.state.clone());
    let queued =
        app.post("/v1/admin/jobs/schema_refresh/run", Some(&owner.token), json!({})).await.expect(StatusCode::ACCEPTED);
    let failed_id = queued.body["id"].as_str().unwrap().to_owned();
    let failed =
        wait_for_run(&app, &owner, "schema_refresh", |run| run["id"] == failed_id.as_str() && finished(run)).await;
    assert_eq!(
        (failed["state"].as_str(), failed["attempts"].as_u64(), failed["max_attempts"].as_u64()),
        (Some("failed"), Some(2), Some(2))
    );
    let error = failed["last_error"].as_str().unwrap();
    assert!(error.starts_with("1 of 1 data source(s) failed: Broken: "), "{error}");
    let audited = app.audit_rows("job.schema_refresh").await;
    assert_eq!(audited.len(), 1, "one row for the run, not one per attempt");
    assert_eq!(
        (audited[0].outcome.as_str(), audited[0].error_code.as_deref()),
        ("error", Some("datasource_unavailable"))
    );

    // Only administrators; only failed runs; only the organisation's own; only its jobs.
    let path = format!("/v1/admin/jobs/runs/{failed_id}/retry");
    app.get("/v1/admin/jobs", &analyst.token).await.expect_error(StatusCode::FORBIDDEN, "forbidden");
    app.post(&path, Some(&analyst.token), json!({})).await.expect_error(StatusCode::FORBIDDEN, "forbidden");
    let stranger = app.signup("stranger@example.com", "Other").await;
    app.post(&path, Some(&stranger.token), json!({})).await.expect_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(app.get("/v1/admin/jobs", &stranger.token).await.expect(StatusCode::OK).body["runs"], json!([]));
    let unknown = format!("/v1/admin/jobs/runs/{}/retry", Uuid::new_v4());
    app.post(&unknown, Some(&owner.token), json!({})).await.expect_error(StatusCode::NOT_FOUND, "not_found");
    app.post("/v1/admin/jobs/nope/run", Some(&owner.token), json!({}))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    app.post("/v1/admin/jobs/audit_retention/run", Some(&owner.token), json!({}))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");

    // Once the broken source is gone, the retry succeeds, naming the run it retries.
    let delete = format!("/v1/datasources/{}", source["id"].as_str().unwrap());
    app.call(Method::DELETE, &delete, Some(&owner.token), None).await.expect(StatusCode::NO_CONTENT);
    let retry = app.post(&path, Some(&owner.token), json!({})).await.expect(StatusCode::ACCEPTED).body;
    assert_eq!((retry["trigger"].as_str(), retry["retry_of"].as_str()), (Some("retry"), Some(failed_id.as_str())));
    let retry_id = retry["id"].as_str().unwrap().to_owned();
    let retried =
        wait_for_run(&app, &owner, "schema_refresh", |run| run["id"] == retry_id.as_str() && finished(run)).await;
    runner.stop().await;
    assert_eq!((retried["state"].as_str(), &retried["result"]), (Some("succeeded"), &json!({ "refreshed": [] })));
    assert_eq!(retried["requested_by"], owner.user_id.to_string());
    let again = format!("/v1/admin/jobs/runs/{retry_id}/retry");
    app.post(&again, Some(&owner.token), json!({})).await.expect_error(StatusCode::CONFLICT, "conflict");
    // Refusals are audited too (by the middleware); the one retry that was queued is the owner's.
    let retries: Vec<_> = app.audit_rows("job.retry").await.into_iter().filter(|r| r.outcome == "success").collect();
    assert_eq!(retries.len(), 1);
    assert_eq!(
        (retries[0].actor_user_id, retries[0].target.as_deref()),
        (Some(owner.user_id), Some(failed_id.as_str()))
    );
}

#[tokio::test]
async fn a_queued_run_survives_a_restart() {
    let (app, dir, owner, id) = app_with_demo_settings(job_settings()).await;
    let generation =
        format!("SELECT coalesce(max(generation), 0) FROM data_source_schemas WHERE datasource_id = '{id}'");
    let before = app.count(&generation).await;
    // The runner stops; a run asked for now waits in the queue.
    jobs::start(app.state.clone()).stop().await;
    let queued =
        app.post("/v1/admin/jobs/schema_refresh/run", Some(&owner.token), json!({})).await.expect(StatusCode::ACCEPTED);
    let run_id = queued.body["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let waiting = wait_for_run(&app, &owner, "schema_refresh", |run| run["id"] == run_id.as_str()).await;
    assert_eq!((waiting["state"].as_str(), waiting["attempts"].as_u64()), (Some("queued"), Some(0)));

    // A new server on the same database picks it up.
    let mut settings = job_settings();
    settings.connectors.duckdb_dirs = vec![dir.path().to_path_buf()];
    let restarted = TestApp::attach(&app, settings).await;
    drop(app);
    let runner = jobs::start(restarted.state.clone());
    let run =
        wait_for_run(&restarted, &owner, "schema_refresh", |run| run["id"] == run_id.as_str() && finished(run)).await;
    runner.stop().await;
    assert_eq!((run["state"].as_str(), run["attempts"].as_u64()), (Some("succeeded"), Some(1)));
    assert!(restarted.count(&generation).await > before);
}
