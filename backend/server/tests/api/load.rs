//! Concurrent asks and edited SQL from several organisations for a fixed time, then a
//! count: every request sent got a response and left exactly one audit row (and a history
//! row for each query), and no organisation sees another's rows.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::json;

use crate::{queries::app_with_demo_settings, support::settings};

const ORGANISATIONS: usize = 3;
const WORKERS_PER_ORGANISATION: usize = 4;
const DURATION: Duration = Duration::from_secs(3);

#[tokio::test]
async fn under_load_every_request_is_answered_audited_once_and_kept_in_its_organisation() {
    let (app, dir, first, first_source) = app_with_demo_settings(settings()).await;
    let mut tenants = vec![(first, first_source)];
    for n in 1..ORGANISATIONS {
        let owner = app.signup(&format!("owner{n}@example.com"), &format!("Org {n}")).await;
        let body = json!({ "name": "Demo", "config": { "kind": "duckdb", "path": dir.path().join("demo.duckdb").display().to_string() } });
        let source = app.post("/v1/datasources", Some(&owner.token), body).await.expect(StatusCode::CREATED).body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        tenants.push((owner, source));
    }

    let deadline = Instant::now() + DURATION;
    let app = &app;
    let workers = tenants.iter().flat_map(|(owner, source)| {
        (0..WORKERS_PER_ORGANISATION).map(move |worker| {
            async move {
                let (mut sent, mut answered) = (0usize, 0usize);
                let mut i = 0usize;
                while Instant::now() < deadline {
                    // Questions, edited SQL (some cached, some not), and refusals.
                    let (path, body) = match i % 4 {
                        0 => ("/v1/query", json!({ "datasource_id": source, "question": "How many orders are there by status?" })),
                        1 => ("/v1/sql", json!({ "datasource_id": source, "sql": format!("SELECT {worker} AS w, {i} AS i, count(*) AS n FROM retail.orders") })),
                        2 => ("/v1/sql", json!({ "datasource_id": source, "sql": "SELECT status, count(*) AS n FROM retail.orders GROUP BY status" })),
                        _ => ("/v1/sql", json!({ "datasource_id": source, "sql": "DELETE FROM retail.orders" })),
                    };
                    sent += 1;
                    let response = app.post(path, Some(&owner.token), body).await;
                    let expected = if i % 4 == 3 { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
                    assert_eq!(response.status, expected, "{}", response.body);
                    answered += 1;
                    i += 1;
                }
                (sent, answered)
            }
        })
    });
    let counts = futures_util::future::join_all(workers).await;
    let sent: usize = counts.iter().map(|c| c.0).sum();
    let answered: usize = counts.iter().map(|c| c.1).sum();
    assert_eq!(sent, answered);
    eprintln!("{sent} requests in {DURATION:?} from {ORGANISATIONS} organisations");

    let audited = app.count("SELECT count(*) FROM audit_log WHERE action IN ('query.ask', 'query.sql')").await;
    let history = app.count("SELECT count(*) FROM query_history").await;
    assert_eq!((audited as usize, history as usize), (sent, sent));
    // Each organisation's audit rows and history are its own requests, and through the API
    // it sees only those.
    for (owner, source) in &tenants {
        let own = app
            .count(&format!(
                "SELECT count(*) FROM query_history WHERE org_id = '{}' AND datasource_id = '{source}'",
                owner.org_id
            ))
            .await;
        let all = app.count(&format!("SELECT count(*) FROM query_history WHERE org_id = '{}'", owner.org_id)).await;
        assert_eq!(own, all, "history rows of another organisation's source");
        let page = app.get("/v1/queries?limit=200", &owner.token).await.expect(StatusCode::OK).body;
        let foreign = page["items"].as_array().unwrap().iter().filter(|q| q["datasource_id"] != json!(source)).count();
        assert_eq!(foreign, 0, "an organisation saw another's history");
    }
}
