//! Two Kurobe servers behind one imaginary load balancer: two states built from the same
//! settings, each served on its own loopback port through the real serve path, sharing one
//! Postgres database and one Redis. What one instance does, the other sees: cached answers,
//! history, sessions, API key revocations, and the audit log is one hash chain that verifies.

use std::time::{Duration, Instant};

use kurobe_store::{AuditChain, AuditMaintenance};
use serde_json::{Value, json};

use crate::{
    queries::app_with_demo_settings,
    support::{Listening, PASSWORD, TestApp, settings},
};

/// How long a revocation through one instance may take to reach another. The tenant cache
/// keeps API keys for seconds; a revocation must not wait for that, since Redis carries the
/// change to every instance.
const REVOCATION_REACHES_EVERY_INSTANCE: Duration = Duration::from_secs(2);

/// Concurrent asks split across both instances, appending to one organisation's chain.
const INTERLEAVED_ASKS: usize = 24;

/// An HTTP client for one instance that remembers the request ids it was answered with.
struct Instance {
    server: Listening,
    client: reqwest::Client,
    request_ids: std::sync::Mutex<Vec<String>>,
}

impl Instance {
    async fn serve(app: &TestApp) -> Self {
        Self { server: app.listen().await, client: reqwest::Client::new(), request_ids: Default::default() }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.server.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
        self.request_ids.lock().unwrap().push(request_id);
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, Some(token), None).await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, token, Some(body)).await
    }

    fn request_ids(&self) -> Vec<String> {
        self.request_ids.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn two_instances_share_cache_history_sessions_revocations_and_one_audit_chain() {
    let (first, _dir, owner, source) = app_with_demo_settings(settings()).await;
    let second = TestApp::attach(&first, (*first.state.settings).clone()).await;
    let (a, b) = (Instance::serve(&first).await, Instance::serve(&second).await);
    assert_ne!(a.server.base, b.server.base);

    // A session issued by A works on B.
    let login = json!({ "email": owner.email, "password": PASSWORD, "organisation_id": owner.org_id });
    let (status, signed_in) = a.post("/v1/auth/login", None, login).await;
    assert_eq!(status, 200, "{signed_in}");
    let token = signed_in["access_token"].as_str().unwrap().to_owned();
    let (status, me) = b.get("/v1/auth/me", &token).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(
        (me["user"]["id"].as_str(), me["role"].as_str()),
        (Some(owner.user_id.to_string().as_str()), Some("owner"))
    );

    // An answer computed on A is a hit on B, whose own memory tier is empty: it came from Redis.
    let question = json!({ "datasource_id": source, "question": "How many orders are there by status?" });
    let (status, on_a) = a.post("/v1/query", Some(&token), question.clone()).await;
    assert_eq!(status, 200, "{on_a}");
    assert_eq!(on_a["cache"]["hit"], false);
    let (status, on_b) = b.post("/v1/query", Some(&token), question).await;
    assert_eq!(status, 200, "{on_b}");
    assert_eq!(on_b["cache"]["hit"], true, "{on_b}");
    assert_eq!((&on_b["sql"], &on_b["rows"]), (&on_a["sql"], &on_a["rows"]));

    // History written through either instance is listed through the other.
    let (_, listed_on_b) = b.get("/v1/queries?limit=50", &token).await;
    let (_, listed_on_a) = a.get("/v1/queries?limit=50", &token).await;
    for page in [&listed_on_a, &listed_on_b] {
        let ids: Vec<&Value> = page["items"].as_array().unwrap().iter().map(|q| &q["id"]).collect();
        assert!(ids.contains(&&on_a["query_id"]) && ids.contains(&&on_b["query_id"]), "{page}");
    }

    // An API key created and revoked through A is refused by B, promptly, although B has
    // just authenticated it.
    let (status, created) = a.post("/v1/api-keys", Some(&token), json!({ "name": "ci", "scopes": null })).await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().unwrap().to_owned();
    let key_id = created["api_key"]["id"].as_str().unwrap().to_owned();
    assert_eq!(b.get("/v1/auth/me", &key).await.0, 200);
    let (status, revoked) =
        a.send(reqwest::Method::DELETE, &format!("/v1/api-keys/{key_id}"), Some(&token), None).await;
    assert_eq!(status, 200, "{revoked}");
    let revoked_at = Instant::now();
    let mut accepted_after_revocation = 0;
    let refusal = loop {
        let (status, body) = b.get("/v1/auth/me", &key).await;
        if status != 200 {
            break body;
        }
        accepted_after_revocation += 1;
        assert!(
            revoked_at.elapsed() < REVOCATION_REACHES_EVERY_INSTANCE,
            "B still accepts the key revoked through A after {:?}",
            revoked_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(refusal["error"]["code"], "api_key_revoked", "{refusal}");
    eprintln!(
        "the revocation through A reached B in {:?} ({accepted_after_revocation} request(s) accepted meanwhile)",
        revoked_at.elapsed()
    );

    // Asks through both instances at once append to one chain.
    let asks = (0..INTERLEAVED_ASKS).map(|i| {
        let instance = if i % 2 == 0 { &a } else { &b };
        let sql =
            json!({ "datasource_id": source, "sql": format!("SELECT {i} AS i, count(*) AS n FROM retail.orders") });
        let token = token.clone();
        async move { instance.post("/v1/sql", Some(&token), sql).await.0 }
    });
    let statuses = futures_util::future::join_all(asks).await;
    assert_eq!(statuses, vec![200; INTERLEAVED_ASKS]);

    // Every request either instance answered left its audit row in the organisation's
    // chain (the refusal too), and the chain verifies from its genesis to its head.
    let audited: Vec<Option<String>> = sqlx::query_scalar("SELECT request_id FROM audit_log WHERE org_id = $1")
        .bind(owner.org_id)
        .fetch_all(&first.db.owner)
        .await
        .unwrap();
    let recorded = |ids: Vec<String>| ids.into_iter().filter(|id| audited.contains(&Some(id.clone()))).count();
    // Reads (me, history) are not audited; login, the asks, the key's creation, revocation
    // and refusal are.
    assert!(recorded(a.request_ids()) >= 2 + INTERLEAVED_ASKS / 2, "A's rows: {audited:?}");
    assert!(recorded(b.request_ids()) >= 2 + INTERLEAVED_ASKS / 2, "B's rows: {audited:?}");
    let maintenance = AuditMaintenance::from_pool(first.db.owner.clone());
    let report = maintenance.verify(Some(AuditChain::Org(owner.org_id))).await.unwrap().remove(0);
    assert!(report.holds(), "{report:?}");
    assert_eq!(report.verified_rows as usize, audited.len());
    assert_eq!(report.head_position as usize, audited.len());
    for report in maintenance.verify(None).await.unwrap() {
        assert!(report.holds(), "{report:?}");
    }

    a.server.shut_down().await;
    b.server.shut_down().await;
}
