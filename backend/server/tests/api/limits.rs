//! Rate limits and metrics: 429 with Retry-After per credential (with the organisation's
//! quota) and per address, never across credentials; and `/metrics` counting it all.

use axum::http::{Method, StatusCode, header::RETRY_AFTER};
use serde_json::json;

use crate::{
    queries::app_with_demo_settings,
    support::{TestApp, settings},
};

#[tokio::test]
async fn each_credential_has_its_organisations_quota() {
    let (app, _dir, owner, id) = app_with_demo_settings(settings()).await;
    // 60 a minute: a burst of 10, then one a second.
    let body = json!({ "rate_limit_per_minute": 60 });
    let updated =
        app.call(Method::PATCH, "/v1/organisation", Some(&owner.token), Some(body)).await.expect(StatusCode::OK);
    assert_eq!(updated.body["rate_limit_per_minute"], 60);
    let (key, _) = app.api_key(&owner, None).await;
    let sql = json!({ "datasource_id": id, "sql": "SELECT 1 AS one" });
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(app.post("/v1/sql", Some(&key), sql.clone()).await.status);
    }
    let passed = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(passed, 10, "{statuses:?}");
    let refused = app.post("/v1/sql", Some(&key), sql.clone()).await;
    assert!(refused.headers[RETRY_AFTER].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    refused.expect_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    // The session of the same organisation has its own allowance.
    app.post("/v1/sql", Some(&owner.token), sql).await.expect(StatusCode::OK);
    // Refusals are counted, not audited.
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE error_code = 'rate_limited'").await, 0);
    let metrics = app.get("/metrics", "").await.body;
    let text = metrics.as_str().unwrap();
    assert!(text.contains("kurobe_rate_limited_total{scope=\"credential\"} 3"), "{text}");

    let invalid = json!({ "rate_limit_per_minute": 5 });
    app.call(Method::PATCH, "/v1/organisation", Some(&owner.token), Some(invalid))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[tokio::test]
async fn one_address_is_limited_before_anything_else() {
    let mut settings = settings();
    settings.rate_limits.per_ip_per_second = 1;
    settings.rate_limits.ip_burst = 3;
    let app = TestApp::with_settings(settings).await;
    let statuses: Vec<StatusCode> = futures_util::future::join_all((0..5).map(|_| app.get("/healthz", "")))
        .await
        .into_iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 3, "{statuses:?}");
    app.get("/v1/auth/me", "").await.expect_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_the_ask_paths_stages() {
    let (app, _dir, owner, id) = app_with_demo_settings(settings()).await;
    let sql = json!({ "datasource_id": id, "sql": "SELECT status, count(*) AS n FROM retail.orders GROUP BY status" });
    app.post("/v1/sql", Some(&owner.token), sql.clone()).await.expect(StatusCode::OK);
    app.post("/v1/sql", Some(&owner.token), sql).await.expect(StatusCode::OK);
    app.get(&format!("/v1/datasources/{id}"), &owner.token).await.expect(StatusCode::OK);
    let response = app.get("/metrics", "").await.expect(StatusCode::OK);
    assert!(response.headers["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = response.body.as_str().unwrap().to_owned();
    for expected in [
        "kurobe_http_requests_total{method=\"POST\",route=\"/v1/sql\",status=\"200\"} 2",
        "kurobe_http_requests_total{method=\"GET\",route=\"/v1/datasources/{id}\",status=\"200\"} 1",
        "kurobe_result_cache_lookups_total{outcome=\"hit\"} 1",
        "kurobe_result_cache_lookups_total{outcome=\"miss\"} 1",
        "kurobe_ask_stage_duration_seconds_count{stage=\"guard\"} 2",
        "kurobe_engine_reload_failures_total 0",
    ] {
        assert!(text.contains(expected), "missing {expected}:\n{text}");
    }
    assert!(!text.contains(&id), "ids never become labels");
}
