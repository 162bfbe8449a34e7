//! The SDK and the committed OpenAPI document agree: every route of the API has a method
//! in the SDK and the SDK calls no route the API lacks. (Fields cannot drift: the SDK uses
//! the server's own wire types.)

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

/// `METHOD /path` of every route the SDK's source calls.
fn sdk_routes() -> BTreeSet<String> {
    let source = include_str!("../src/routes.rs");
    let mut routes = BTreeSet::new();
    for (i, _) in source.match_indices("Method::") {
        let rest = &source[i + "Method::".len()..];
        let method = rest.split(|c: char| !c.is_ascii_alphabetic()).next().unwrap();
        let Some(path) = rest.split('"').nth(1) else { continue };
        if method == "GET" || method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE" {
            routes.insert(format!("{method} /{path}"));
        }
    }
    for (i, _) in source.match_indices("self.get_with(\"") {
        let path = source[i + "self.get_with(\"".len()..].split('"').next().unwrap();
        routes.insert(format!("GET /{path}"));
    }
    routes
}

/// Every route but the MCP endpoint, which speaks to agents rather than to SDKs.
fn api_routes() -> BTreeSet<String> {
    let document: serde_json::Value = serde_json::from_str(include_str!("../../../openapi.json")).unwrap();
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| *path != "/mcp")
        .flat_map(|(path, item)| item.as_object().unwrap().keys().map(move |m| format!("{} {path}", m.to_uppercase())))
        .collect()
}

#[test]
fn every_route_has_a_method_and_every_method_a_route() {
    let (sdk, api) = (sdk_routes(), api_routes());
    let missing: Vec<&String> = api.difference(&sdk).collect();
    let unknown: Vec<&String> = sdk.difference(&api).collect();
    assert!(missing.is_empty() && unknown.is_empty(), "without a method: {missing:?}\nnot in the API: {unknown:?}");
}
