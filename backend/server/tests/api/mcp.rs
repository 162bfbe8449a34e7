//! An MCP client session over HTTP with an API key: initialize, list the tools, call them,
//! and the audit rows the calls leave.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::{queries::app_with_demo_settings, support::settings};

fn rpc(id: u64, method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

#[tokio::test]
async fn an_agent_initializes_lists_tools_and_asks_under_the_keys_tenancy_and_audit() {
    let (app, _dir, owner, id) = app_with_demo_settings(settings()).await;
    let (key, key_id) = app.api_key(&owner, None).await;
    let call = |body: Value| {
        let key = key.clone();
        let app = &app;
        async move { app.post("/mcp", Some(&key), body).await }
    };

    let init = rpc(
        1,
        "initialize",
        json!({ "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "test", "version": "1" } }),
    );
    let init = call(init).await.expect(StatusCode::OK).body;
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(init["result"]["serverInfo"]["name"], "kurobe");
    let notified = call(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" })).await;
    assert_eq!(notified.status, StatusCode::ACCEPTED);

    let tools = call(rpc(2, "tools/list", json!({}))).await.expect(StatusCode::OK).body;
    let names: Vec<&str> =
        tools["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["list_datasources", "get_schema", "ask", "run_sql"]);

    let listed = call(rpc(3, "tools/call", json!({ "name": "list_datasources", "arguments": {} }))).await.body;
    assert_eq!(listed["result"]["structuredContent"][0]["id"], json!(id));
    let schema =
        call(rpc(4, "tools/call", json!({ "name": "get_schema", "arguments": { "datasource_id": id } }))).await.body;
    assert!(schema["result"]["content"][0]["text"].as_str().unwrap().contains("order_items"));

    let asked = call(rpc(
        5,
        "tools/call",
        json!({ "name": "ask", "arguments": { "datasource_id": id, "question": "How many orders are there?" } }),
    ))
    .await
    .body;
    assert_eq!(asked["result"]["isError"], false, "{asked}");
    assert_eq!(asked["result"]["structuredContent"]["generation"]["engine"], "offline");
    let refused = call(rpc(
        6,
        "tools/call",
        json!({ "name": "run_sql", "arguments": { "datasource_id": id, "sql": "DROP TABLE retail.orders" } }),
    ))
    .await
    .body;
    assert_eq!(refused["result"]["isError"], true);
    assert!(refused["result"]["content"][0]["text"].as_str().unwrap().contains("sql_refused"));
    let unknown = call(rpc(7, "no/such", json!({}))).await.body;
    assert_eq!(unknown["error"]["code"], -32601);

    // Each call that ran a query left its history row and audit row, under the key.
    let asks = app.audit_rows("mcp.ask").await;
    assert_eq!((asks.len(), asks[0].outcome.as_str(), asks[0].actor_api_key_id), (1, "success", Some(key_id)));
    let sql = app.audit_rows("mcp.run_sql").await;
    assert_eq!((sql.len(), sql[0].error_code.as_deref()), (1, Some("sql_refused")));
    assert_eq!(app.count("SELECT count(*) FROM query_history").await, 2);

    // Without a key, nothing.
    app.post("/mcp", None, rpc(8, "tools/list", json!({})))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    // Another organisation's key sees its own organisation only.
    let outsider = app.signup("outsider@example.com", "Elsewhere").await;
    let (their_key, _) = app.api_key(&outsider, None).await;
    let theirs = app
        .post(
            "/mcp",
            Some(&their_key),
            rpc(
                9,
                "tools/call",
                json!({ "name": "ask", "arguments": { "datasource_id": id, "question": "How many orders?" } }),
            ),
        )
        .await
        .body;
    assert_eq!(theirs["result"]["isError"], true);
    assert!(theirs["result"]["content"][0]["text"].as_str().unwrap().contains("not_found"));
    let denied = app.audit_rows("mcp.ask").await;
    assert_eq!((denied.len(), denied[1].error_code.as_deref()), (2, Some("not_found")));
}
