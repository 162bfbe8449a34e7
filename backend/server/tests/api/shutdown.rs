//! SIGTERM under load: the server stops taking connections, lets every request in flight
//! finish, and loses no audit row.

use std::time::Duration;

use kurobe_engines::testing::{Replay, Reply};
use serde_json::json;

use crate::{queries::app_with_demo_settings, support::settings};

const IN_FLIGHT: usize = 8;

#[tokio::test]
async fn a_shutdown_lets_requests_in_flight_finish_and_records_them_all() {
    // A model that takes half a second to answer keeps the asks in flight.
    let slow = Reply {
        delay: Duration::from_millis(500),
        ..Reply::openai_answer("```sql\nSELECT count(*) AS orders FROM retail.orders\n```\nCounts orders.")
    };
    let (replay, url) = Replay::start(vec![slow; IN_FLIGHT]).await;
    let engines = tempfile::tempdir().unwrap();
    let path = engines.path().join("engines.yaml");
    std::fs::write(
        &path,
        format!(
            "text_to_sql:\n  default: model\n  engines:\n    model:\n      provider: openai_compatible\n      config:\n        base_url: {url}/v1\n        model: m\n        max_retries: 0\n\
             visualization:\n  default: rules\n  engines:\n    rules:\n      provider: rule_based\n\
             semantic:\n  default: linker\n  engines:\n    linker:\n      provider: rule_based\n"
        ),
    )
    .unwrap();
    let mut settings = settings();
    settings.engines.file = Some(path);
    let (app, _dir, owner, id) = app_with_demo_settings(settings).await;

    let server = app.listen().await;
    let base = server.base.clone();

    let client = reqwest::Client::new();
    let asks = (0..IN_FLIGHT).map(|i| {
        let request = client
            .post(format!("{base}/v1/query"))
            .bearer_auth(&owner.token)
            .json(&json!({ "datasource_id": id, "question": format!("how many orders, {i}") }))
            .send();
        async move { request.await.map(|r| r.status().as_u16()) }
    });
    // The signal comes once every ask is inside the server, waiting on the model: those are
    // the requests in flight. (A fixed pause raced busy machines, where an ask the server had
    // not yet accepted when it stopped listening was refused rather than in flight.) The
    // server stops cleanly within its grace, once every one of them is answered.
    let shutdown = async {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while replay.requests().len() < IN_FLIGHT {
            assert!(std::time::Instant::now() < deadline, "the asks never reached the model");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        server.shut_down().await;
    };
    let (statuses, ()) = tokio::join!(futures_util::future::join_all(asks), shutdown);
    let statuses: Vec<u16> = statuses.into_iter().map(Result::unwrap).collect();
    assert_eq!(statuses, vec![200; IN_FLIGHT], "every request in flight finished");
    // The server is gone, and nothing it answered went unrecorded.
    assert!(client.get(format!("{base}/healthz")).send().await.is_err());
    assert_eq!(app.audit_rows("query.ask").await.len(), IN_FLIGHT);
    assert_eq!(app.count("SELECT count(*) FROM query_history WHERE status = 'succeeded'").await, IN_FLIGHT as i64);
}
