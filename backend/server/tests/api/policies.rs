//! Row policies over HTTP: configured per data source, validated before they are stored,
//! applied to every query of the roles they name with the member's own attributes, and
//! never shared through the cache with callers the policy does not filter.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::{
    queries::app_with_demo_settings,
    support::{Session, TestApp, settings},
};

const POLICY: &str = "store_type = {{user.attributes.store_type}}";

async fn count(app: &TestApp, session: &Session, id: &str, sql: &str) -> crate::support::Response {
    app.post("/v1/sql", Some(&session.token), json!({ "datasource_id": id, "sql": sql })).await
}

async fn ask(app: &TestApp, session: &Session, id: &str) -> crate::support::Response {
    let body = json!({ "datasource_id": id, "question": "How many stores are there?" });
    app.post("/v1/query", Some(&session.token), body).await
}

fn first(response: crate::support::Response) -> i64 {
    response.expect(StatusCode::OK).body["rows"][0][0].as_i64().unwrap()
}

#[tokio::test]
async fn a_policy_filters_the_roles_it_names_by_their_own_attributes() {
    let (app, _dir, owner, id) = app_with_demo_settings(settings()).await;
    let analyst = app.member(&owner, "analyst@example.com", "analyst").await;
    let policies = json!({ "policies": [{ "table": "retail.stores", "roles": ["analyst"], "predicate": POLICY }] });
    let path = format!("/v1/datasources/{id}/policies");
    app.call(Method::PUT, &path, Some(&owner.token), Some(policies.clone())).await.expect(StatusCode::OK);
    assert_eq!(app.get(&path, &analyst.token).await.expect(StatusCode::OK).body, policies);
    // Only managers set policies.
    app.call(Method::PUT, &path, Some(&analyst.token), Some(json!({ "policies": [] })))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");

    let all = first(count(&app, &owner, &id, "SELECT count(*) FROM retail.stores").await);
    let online =
        first(count(&app, &owner, &id, "SELECT count(*) FROM retail.stores WHERE store_type = 'online'").await);
    assert!(0 < online && online < all);

    // Without the attribute the policy needs, the analyst gets no answer rather than all rows.
    count(&app, &analyst, &id, "SELECT count(*) FROM retail.stores")
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "sql_refused");

    let member = format!("/v1/members/{}", analyst.user_id);
    let body = json!({ "attributes": { "store_type": "online" } });
    let updated = app.call(Method::PATCH, &member, Some(&owner.token), Some(body)).await.expect(StatusCode::OK).body;
    assert_eq!(
        (updated["attributes"]["store_type"].as_str(), updated["role"].as_str()),
        (Some("online"), Some("analyst"))
    );

    // Every shape of query sees only the rows the policy lets through.
    for sql in [
        "SELECT count(*) FROM retail.stores",
        "WITH s AS (SELECT * FROM retail.stores) SELECT count(*) FROM s",
        "SELECT count(*) FROM (SELECT store_id FROM retail.stores) t",
        "SELECT count(*) FROM retail.regions r JOIN retail.stores s ON s.region_id = r.region_id",
        "SELECT count(*) FROM (SELECT store_id FROM retail.stores UNION SELECT store_id FROM retail.stores) u",
        "SELECT (SELECT count(*) FROM \"retail\".\"stores\")",
    ] {
        assert_eq!(first(count(&app, &analyst, &id, sql).await), online, "{sql}");
    }
    // The owner, whom the policy does not name, still sees every row — also right after
    // the analyst's identical query, so the cache never hands one's rows to the other.
    assert_eq!(first(count(&app, &owner, &id, "SELECT count(*) FROM retail.stores").await), all);
}

#[tokio::test]
async fn invalid_policies_are_refused_whole() {
    let (app, _dir, owner, id) = app_with_demo_settings(settings()).await;
    let path = format!("/v1/datasources/{id}/policies");
    let cases = [
        json!({ "table": "retail.ghosts", "roles": ["analyst"], "predicate": "1 = 1" }),
        json!({ "table": "stores", "roles": ["analyst"], "predicate": "1 = 1" }),
        json!({ "table": "retail.stores", "roles": [], "predicate": "1 = 1" }),
        json!({ "table": "retail.stores", "roles": ["analyst"], "predicate": "store_type = " }),
        json!({ "table": "retail.stores", "roles": ["analyst"], "predicate": "pg_sleep(10) IS NULL" }),
        json!({ "table": "retail.stores", "roles": ["analyst"], "predicate": "store_id IN (SELECT * FROM read_csv('/etc/passwd'))" }),
    ];
    for policy in cases {
        let body =
            json!({ "policies": [{ "table": "retail.stores", "roles": ["viewer"], "predicate": "1 = 1" }, policy] });
        app.call(Method::PUT, &path, Some(&owner.token), Some(body))
            .await
            .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    }
    assert_eq!(app.get(&path, &owner.token).await.expect(StatusCode::OK).body, json!({ "policies": [] }));
    let audit = app.audit_rows("datasource.policies").await;
    assert!(audit.iter().all(|row| row.outcome == "error"), "{audit:?}");
}

/// The offline engine's answer to a question is remembered and reused for the next asker
/// (no linking or generation: no context time), but the guard applies each caller's own
/// policies to it every time.
#[tokio::test]
async fn a_remembered_answer_is_guarded_again_for_each_caller() {
    let (app, _dir, owner, id) = app_with_demo_settings(settings()).await;
    let analyst = app.member(&owner, "analyst@example.com", "analyst").await;
    let policies = json!({ "policies": [{ "table": "retail.stores", "roles": ["analyst"], "predicate": POLICY }] });
    app.call(Method::PUT, &format!("/v1/datasources/{id}/policies"), Some(&owner.token), Some(policies))
        .await
        .expect(StatusCode::OK);
    let body = json!({ "attributes": { "store_type": "online" } });
    app.call(Method::PATCH, &format!("/v1/members/{}", analyst.user_id), Some(&owner.token), Some(body))
        .await
        .expect(StatusCode::OK);

    let first_answer = ask(&app, &owner, &id).await.expect(StatusCode::OK).body;
    assert!(first_answer["timings"]["context_ms"].as_f64().unwrap() > 0.0, "{first_answer}");
    let again = ask(&app, &owner, &id).await.expect(StatusCode::OK).body;
    assert_eq!(again["timings"]["context_ms"].as_f64(), Some(0.0), "remembered: {again}");
    assert_eq!((&again["sql"], &again["rows"]), (&first_answer["sql"], &first_answer["rows"]));
    assert_eq!(again["generation"], first_answer["generation"]);

    let filtered = ask(&app, &analyst, &id).await.expect(StatusCode::OK).body;
    assert_eq!(filtered["timings"]["context_ms"].as_f64(), Some(0.0), "remembered: {filtered}");
    assert!(filtered["sql"].as_str().unwrap().contains("online"), "{filtered}");
    let online =
        first(count(&app, &owner, &id, "SELECT count(*) FROM retail.stores WHERE store_type = 'online'").await);
    assert_eq!(filtered["rows"][0][0].as_i64(), Some(online));
    assert_eq!(ask(&app, &owner, &id).await.expect(StatusCode::OK).body["rows"], first_answer["rows"]);
}
