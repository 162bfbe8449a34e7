//! The Model Context Protocol endpoint (`/mcp`, streamable HTTP, JSON-RPC 2.0), so AI
//! agents use Kurobe under the same credentials, tenancy, policies, limits and audit as
//! people: each tool is one of the API's own operations run for the caller.
//!
//! Every request is answered with one JSON response (the transport's simplest form);
//! there are no server-initiated messages, so `GET /mcp` is refused with 405.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use kurobe_core::Principal;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{ApiError, Auth, Json, Path, datasources};
use crate::{
    ask::{self, Input},
    audit::Audit,
    state::AppState,
};

/// The protocol revisions this endpoint speaks; the newest unless the client asks for
/// another it knows.
const PROTOCOL_VERSIONS: [&str; 2] = ["2025-06-18", "2025-03-26"];
/// Rows of an answer put in a tool result; agents read text, and a whole table rarely helps.
const MAX_ROWS: usize = 100;

#[derive(Debug, Deserialize)]
pub struct RpcRequest {
    jsonrpc: String,
    /// Absent for a notification.
    id: Option<Value>,
    method: String,
    #[serde(default)]
    params: Value,
}

fn result(id: Value, result: Value) -> Response {
    Json(json!({ "jsonrpc": "2.0", "id": id, "result": result })).into_response()
}

fn rpc_error(id: Value, code: i64, message: &str) -> Response {
    Json(json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })).into_response()
}

fn tools() -> Value {
    let datasource =
        json!({ "type": "string", "format": "uuid", "description": "A data source id from list_datasources" });
    json!([
        {
            "name": "list_datasources",
            "description": "The data sources (warehouses) of the organisation: ids, names, engines and health.",
            "inputSchema": { "type": "object", "properties": {} },
        },
        {
            "name": "get_schema",
            "description": "The tables and columns of a data source, with types, keys, comments and sampled values.",
            "inputSchema": { "type": "object", "properties": { "datasource_id": datasource }, "required": ["datasource_id"] },
        },
        {
            "name": "ask",
            "description": "Answers a question about a data source in plain language: the SQL, how it was understood, and the rows. Declines with suggested questions when unsure.",
            "inputSchema": {
                "type": "object",
                "properties": { "datasource_id": datasource, "question": { "type": "string" } },
                "required": ["datasource_id", "question"],
            },
        },
        {
            "name": "run_sql",
            "description": "Runs one read-only SQL query on a data source through Kurobe's guard (known tables, allowlisted functions, row policies, a row cap).",
            "inputSchema": {
                "type": "object",
                "properties": { "datasource_id": datasource, "sql": { "type": "string" } },
                "required": ["datasource_id", "sql"],
            },
        },
    ])
}

/// A tool's result: its value as JSON text, or the API's error as a tool error the agent
/// can read and act on.
fn tool_result(outcome: Result<Value, ApiError>) -> Value {
    match outcome {
        Ok(value) => json!({
            "content": [{ "type": "text", "text": value.to_string() }],
            "structuredContent": value,
            "isError": false,
        }),
        Err(error) => {
            let detail = serde_json::to_value(error.detail()).unwrap_or_default();
            json!({ "content": [{ "type": "text", "text": detail.to_string() }], "isError": true })
        }
    }
}

fn json(value: &impl serde::Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.into()))
}

fn argument<'a>(arguments: &'a Value, name: &str) -> Result<&'a str, ApiError> {
    arguments[name].as_str().ok_or_else(|| ApiError::invalid(format!("the argument `{name}` is missing")))
}

fn datasource_id(arguments: &Value) -> Result<Uuid, ApiError> {
    argument(arguments, "datasource_id")?
        .parse()
        .map_err(|_| ApiError::invalid("`datasource_id` is not a data source id"))
}

async fn call_tool(
    state: AppState,
    audit: &Audit,
    principal: Principal,
    name: &str,
    arguments: &Value,
) -> Result<Value, ApiError> {
    match name {
        "list_datasources" => json(&datasources::list(State(state), Auth(principal)).await?.0),
        "get_schema" => {
            let id = datasource_id(arguments)?;
            json(&datasources::schema(State(state), Auth(principal), Path(id)).await?.0)
        }
        "ask" | "run_sql" => {
            let id = datasource_id(arguments)?;
            let input = if name == "ask" {
                Input::Question { question: argument(arguments, "question")?.to_owned(), engine: None }
            } else {
                Input::Sql(argument(arguments, "sql")?.to_owned())
            };
            let mut answer = ask::run(&state, audit, &principal, id, input, &None).await?;
            answer.rows.truncate(MAX_ROWS);
            json(&answer)
        }
        other => Err(ApiError::invalid(format!("no tool named `{other}`"))),
    }
}

/// One JSON-RPC message from an MCP client.
#[utoipa::path(post, path = "/mcp", tag = "mcp", security(("bearer" = [])),
    request_body(content = Object, description = "A JSON-RPC 2.0 request or notification of the Model Context Protocol: initialize, ping, tools/list, tools/call"),
    responses(
    (status = 200, description = "The JSON-RPC response", body = Object),
    (status = 202, description = "A notification was received"),
    (status = 401, body = kurobe_api::ErrorBody),
))]
pub async fn post(
    State(state): State<AppState>,
    audit: Audit,
    Auth(principal): Auth,
    Json(request): Json<RpcRequest>,
) -> Response {
    let Some(id) = request.id.clone() else { return StatusCode::ACCEPTED.into_response() };
    if request.jsonrpc != "2.0" {
        return rpc_error(id, -32600, "only JSON-RPC 2.0 is spoken here");
    }
    match request.method.as_str() {
        "initialize" => {
            let asked = request.params["protocolVersion"].as_str().unwrap_or_default();
            let version = PROTOCOL_VERSIONS.iter().find(|v| **v == asked).unwrap_or(&PROTOCOL_VERSIONS[0]);
            result(
                id,
                json!({
                    "protocolVersion": version,
                    "capabilities": { "tools": { "listChanged": false } },
                    "serverInfo": { "name": "kurobe", "version": env!("CARGO_PKG_VERSION") },
                    "instructions": "Ask questions of the organisation's data: list_datasources, then ask (plain language) or run_sql (read-only SQL).",
                }),
            )
        }
        "ping" => result(id, json!({})),
        "tools/list" => result(id, json!({ "tools": tools() })),
        "tools/call" => {
            let name = request.params["name"].as_str().unwrap_or_default().to_owned();
            let arguments = request.params["arguments"].clone();
            let action = match name.as_str() {
                "list_datasources" => "mcp.list_datasources",
                "get_schema" => "mcp.get_schema",
                "ask" => "mcp.ask",
                "run_sql" => "mcp.run_sql",
                _ => "mcp.unknown_tool",
            };
            audit.action(action, arguments["datasource_id"].as_str().map(str::to_owned));
            let outcome = call_tool(state.clone(), &audit, principal, &name, &arguments).await;
            // A failed tool call answers 200 with a tool error, which the request
            // middleware would not record: record it here, once.
            if let Err(error) = &outcome {
                audit.record_unrecorded(&state, error.code()).await;
            }
            result(id, tool_result(outcome))
        }
        _ => rpc_error(id, -32601, "no such method"),
    }
}
