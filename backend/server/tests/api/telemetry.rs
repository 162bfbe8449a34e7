//! Traces and error reports as they leave the server. No collector and no Sentry are
//! reachable from here, so each test runs a small local HTTP server that receives what
//! Kurobe sends — OTLP/HTTP protobuf at `/v1/traces`, Sentry envelopes at
//! `/api/<project>/envelope/` — and checks it. This tests our side of both protocols.
//!
//! The exporters are attached to a subscriber of the test's own (`set_default`, on the
//! test's single thread) and Sentry's client to a hub of its own, so nothing global
//! changes for the other tests of this binary.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    body::{Body, Bytes},
    http::{Method, Request, StatusCode, header},
    response::IntoResponse,
    routing::post,
};
use kurobe_server::telemetry::Telemetry;
use opentelemetry_proto::tonic::{
    collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse},
    common::v1::{AnyValue, KeyValue, any_value},
    trace::v1::Span,
};
use prost::Message as _;
use secrecy::{ExposeSecret as _, SecretString};
use sentry::SentryFutureExt as _;
use serde_json::{Value, json};
use tracing_subscriber::prelude::*;

use crate::{
    queries::app_with_demo_settings,
    support::{Response, TestApp, settings},
};

/// Request bodies a local receiver was sent, in order.
type Received = Arc<Mutex<Vec<Bytes>>>;

/// A local HTTP server keeping the body of every POST to `path`, each answered with `reply`.
async fn receiver<R: IntoResponse + 'static>(path: &str, reply: fn() -> R) -> (String, Received) {
    let received = Received::default();
    let kept = received.clone();
    let router = Router::new().route(
        path,
        post(move |body: Bytes| async move {
            kept.lock().unwrap().push(body);
            reply()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (base, received)
}

/// A stand-in OTLP/HTTP collector, answering as a collector does.
async fn collector() -> (String, Received) {
    receiver("/v1/traces", || {
        ([(header::CONTENT_TYPE, "application/x-protobuf")], ExportTraceServiceResponse::default().encode_to_vec())
    })
    .await
}

/// A stand-in Sentry, taking envelopes as sentry.io does.
async fn sentry_server() -> (String, Received) {
    receiver("/api/{project}/envelope/", || Json(json!({ "id": null }))).await
}

fn attribute(attributes: &[KeyValue], key: &str) -> Option<String> {
    let value = attributes.iter().find(|kv| kv.key == key)?.value.as_ref()?;
    match value {
        AnyValue { value: Some(any_value::Value::StringValue(text)) } => Some(text.clone()),
        AnyValue { value: Some(any_value::Value::IntValue(number)) } => Some(number.to_string()),
        other => Some(format!("{other:?}")),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A question through the real router, with extra request headers.
async fn ask(app: &TestApp, token: &str, id: &str, question: &str, headers: &[(&str, &str)]) -> Response {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/v1/query")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = json!({ "datasource_id": id, "question": question }).to_string();
    app.send(request.body(Body::from(body)).unwrap()).await
}

#[tokio::test]
async fn an_ask_exports_its_stage_spans_with_org_datasource_and_engine_under_the_callers_trace() {
    let (endpoint, exports) = collector().await;
    let mut settings = settings();
    settings.telemetry.otlp_endpoint = Some(format!("{endpoint}/"));
    settings.telemetry.service_name = "kurobe-under-test".into();
    let telemetry = Telemetry::start(&settings).unwrap();
    let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(telemetry.layer()));

    let (app, _dir, owner, id) = app_with_demo_settings(settings).await;
    let caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let traceparent = format!("00-{caller_trace}-{caller_span}-01");
    let answered = ask(&app, &owner.token, &id, "How many orders are there?", &[("traceparent", &traceparent)])
        .await
        .expect(StatusCode::OK);
    // The same question with no trace of its own starts one.
    ask(&app, &owner.token, &id, "How many orders are there?", &[]).await.expect(StatusCode::OK);
    // A streamed answer runs on a task of its own, and stays in its caller's trace.
    let streamed_trace = "0af7651916cd43dd8448eb211c80319c";
    let streamed_parent = format!("00-{streamed_trace}-b7ad6b7169203331-01");
    let headers = [("traceparent", streamed_parent.as_str()), ("accept", "text/event-stream")];
    ask(&app, &owner.token, &id, "How many orders are there?", &headers).await.expect(StatusCode::OK);
    telemetry.flush().await;

    let requests: Vec<ExportTraceServiceRequest> = exports
        .lock()
        .unwrap()
        .iter()
        .map(|body| ExportTraceServiceRequest::decode(body.as_ref()).expect("an OTLP protobuf export"))
        .collect();
    assert!(!requests.is_empty(), "nothing was exported");
    let resources: Vec<_> = requests.iter().flat_map(|r| &r.resource_spans).collect();
    for resource in &resources {
        let attributes = &resource.resource.as_ref().unwrap().attributes;
        assert_eq!(attribute(attributes, "service.name").as_deref(), Some("kurobe-under-test"));
        assert_eq!(attribute(attributes, "service.version").as_deref(), Some(env!("CARGO_PKG_VERSION")));
    }
    let spans: Vec<&Span> = resources.iter().flat_map(|r| &r.scope_spans).flat_map(|s| &s.spans).collect();
    let in_trace = |trace: &str| -> HashMap<String, &Span> {
        spans.iter().filter(|s| hex(&s.trace_id) == trace).map(|s| (s.name.clone(), *s)).collect()
    };

    // The caller's trace continues: the request span is the child of the caller's span.
    let traced = in_trace(caller_trace);
    let request = traced.get("POST /v1/query").unwrap_or_else(|| panic!("no request span in {:?}", traced.keys()));
    assert_eq!(hex(&request.parent_span_id), caller_span);
    assert_eq!(attribute(&request.attributes, "http.route").as_deref(), Some("/v1/query"));
    assert_eq!(attribute(&request.attributes, "http.response.status_code").as_deref(), Some("200"));
    assert_eq!(attribute(&request.attributes, "request_id").as_deref(), Some(answered.request_id()));

    let ask = traced["ask"];
    assert_eq!(ask.parent_span_id, request.span_id);
    assert_eq!(attribute(&ask.attributes, "org"), Some(owner.org_id.to_string()));
    assert_eq!(attribute(&ask.attributes, "datasource").as_deref(), Some(id.as_str()));
    for stage in ["context", "generation", "guard", "cache", "chart"] {
        let span = traced.get(stage).unwrap_or_else(|| panic!("no {stage} span in {:?}", traced.keys()));
        assert_eq!(span.parent_span_id, ask.span_id, "{stage} is not a stage of the ask");
    }
    assert_eq!(attribute(&traced["generation"].attributes, "engine").as_deref(), Some("offline"));
    let execute = traced["execute"];
    assert_eq!(execute.parent_span_id, traced["cache"].span_id, "the warehouse runs on a cache miss");
    assert_eq!(attribute(&execute.attributes, "engine").as_deref(), Some("duckdb"));

    let streamed = in_trace(streamed_trace);
    assert_eq!(streamed["ask"].parent_span_id, streamed["POST /v1/query"].span_id, "{:?}", streamed.keys());

    let own_traces: Vec<&&Span> = spans
        .iter()
        .filter(|s| s.name == "POST /v1/query" && ![caller_trace, streamed_trace].contains(&hex(&s.trace_id).as_str()))
        .collect();
    assert_eq!(own_traces.len(), 1, "the second question has a trace of its own");
    assert!(own_traces[0].parent_span_id.is_empty(), "and it starts there");
    telemetry.shutdown().await;
}

#[tokio::test]
async fn a_500_reaches_sentry_tagged_with_its_request_id_and_without_any_secret() {
    // Organisation, key and a Postgres data source whose password is sealed under key 1.
    let first = TestApp::new().await;
    let owner = first.signup("owner@example.com", "Acme").await;
    let (api_key, _) = first.api_key(&owner, None).await;
    let warehouse_password = "warehouse-pw-5mQz8";
    let body = json!({
        "name": "Warehouse",
        "config": { "kind": "postgres", "host": "127.0.0.1", "port": 1, "database": "wh", "user": "bi" },
        "credentials": { "password": warehouse_password },
    });
    let id = first.post("/v1/datasources", Some(&owner.token), body).await.expect(StatusCode::CREATED).body["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A server whose operator replaced master key 1 by key 2 without resealing: it cannot
    // open the credentials, a genuine internal error.
    let (base, envelopes) = sentry_server().await;
    let (endpoint, _spans) = collector().await;
    let mut settings = settings();
    settings.telemetry.otlp_endpoint = Some(endpoint);
    settings.security.master_keys = Some(SecretString::from("2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="));
    let host = base.trim_start_matches("http://");
    settings.telemetry.sentry_dsn = Some(SecretString::from(format!("http://0123456789abcdef@{host}/42")));
    let second = TestApp::attach(&first, settings).await;
    let telemetry = Telemetry::start(&second.state.settings).unwrap();
    let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(telemetry.layer()));
    let hub = Arc::new(sentry::Hub::new(telemetry.sentry_client(), Arc::default()));

    let traceparent = "00-5bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let failed = ask(&second, &api_key, &id, "How many orders are there?", &[("traceparent", traceparent)])
        .bind_hub(hub)
        .await
        .expect_error(StatusCode::INTERNAL_SERVER_ERROR, "internal");
    telemetry.flush().await;

    let envelopes = envelopes.lock().unwrap().clone();
    assert_eq!(envelopes.len(), 1, "one report for one failure");
    let sent = String::from_utf8_lossy(&envelopes[0]).into_owned();
    // An envelope: a header line, then each item's header line and payload.
    let event: Value = sent
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|item| item.get("event_id").is_some() && item.get("sdk").is_some())
        .unwrap_or_else(|| panic!("no event in {sent}"));
    assert_eq!(event["tags"]["request_id"], failed.request_id());
    assert_eq!(event["tags"]["route"], "/v1/query");
    assert_eq!(event["tags"]["trace_id"], "5bf92f3577b34da6a3ce929d0e0e4736", "the report leads to its trace");
    // An error is Sentry's default level, which the SDK leaves out.
    assert!(event["level"].is_null() || event["level"] == "error", "{event}");
    assert_eq!(event["message"], "request failed");
    assert_eq!(event["release"], concat!("kurobe@", env!("CARGO_PKG_VERSION")));
    assert!(sent.contains("no master key of version 1"), "the cause is reported: {sent}");

    let database_url = second.state.settings.database.url.as_ref().unwrap().expose_secret().to_owned();
    let secrets = [
        database_url.as_str(),
        &std::env::var("KUROBE_TEST_APP_PASSWORD").unwrap(),
        second.state.settings.security.jwt_secret.as_ref().unwrap().expose_secret(),
        "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        &api_key,
        &owner.token,
        warehouse_password,
    ];
    for secret in secrets {
        assert!(!sent.contains(secret), "a secret reached Sentry: {sent}");
    }
    telemetry.shutdown().await;
}
