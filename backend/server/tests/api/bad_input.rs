use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use serde_json::json;

use crate::support::{PASSWORD, TestApp};

fn raw(
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if let Some(content_type) = content_type {
        builder = builder.header(header::CONTENT_TYPE, content_type);
    }
    builder.body(body.into()).unwrap()
}

#[tokio::test]
async fn malformed_bodies_get_clear_codes_and_write_nothing() {
    let app = TestApp::new().await;
    let json = Some("application/json");
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (raw(Method::POST, "/v1/auth/signup", None, json, "{\"email\":"), StatusCode::BAD_REQUEST, "invalid_json"),
        (raw(Method::POST, "/v1/auth/signup", None, json, "[1,2]"), StatusCode::BAD_REQUEST, "invalid_json"),
        (
            raw(
                Method::POST,
                "/v1/auth/signup",
                None,
                json,
                json!({ "email": 5, "password": PASSWORD, "organisation_name": "x" }).to_string(),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            raw(
                Method::POST,
                "/v1/auth/signup",
                None,
                json,
                json!({ "email": "a@example.com", "password": PASSWORD, "organisation_name": "x", "role": "owner" })
                    .to_string(),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            raw(
                Method::POST,
                "/v1/auth/signup",
                None,
                Some("text/plain"),
                json!({ "email": "a@example.com" }).to_string(),
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            raw(Method::POST, "/v1/auth/signup", None, json, format!("{{\"email\":\"{}\"}}", "x".repeat(100 * 1024))),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            raw(
                Method::POST,
                "/v1/auth/signup",
                None,
                json,
                json!({ "email": "a@example.com", "password": PASSWORD, "organisation_name": "x".repeat(10_000) })
                    .to_string(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            raw(
                Method::POST,
                "/v1/auth/signup",
                None,
                json,
                json!({ "email": "not-an-email", "password": PASSWORD, "organisation_name": "x" }).to_string(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            raw(
                Method::POST,
                "/v1/auth/signup",
                None,
                json,
                json!({ "email": "a@example.com", "password": "short", "organisation_name": "Acme" }).to_string(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
    ];
    let count = cases.len() as i64;
    for (request, status, code) in cases {
        let response = app.send(request).await;
        let body = response.body.to_string();
        response.expect_error(status, code);
        assert!(body.len() < 2_000, "errors must not echo huge input back: {} bytes", body.len());
    }
    // Nothing was created, and every refusal left exactly one audit row.
    assert_eq!(app.count("SELECT count(*) FROM users").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM organisations").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE outcome = 'error'").await, count);
}

#[tokio::test]
async fn a_failed_signup_leaves_no_half_written_account() {
    let app = TestApp::new().await;
    app.signup("ada@example.com", "Acme").await;
    app.post(
        "/v1/auth/signup",
        None,
        json!({ "email": "ADA@example.com", "password": PASSWORD, "organisation_name": "Second" }),
    )
    .await
    .expect_error(StatusCode::CONFLICT, "email_taken");
    // The organisation inserted before the duplicate email was found is rolled back.
    assert_eq!(app.count("SELECT count(*) FROM organisations").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE action = 'auth.signup' AND outcome = 'error'").await, 1);
}

#[tokio::test]
async fn bad_ids_queries_routes_and_methods_are_explained() {
    let app = TestApp::new().await;
    let ada = app.signup("ada@example.com", "Acme").await;
    app.call(Method::DELETE, "/v1/api-keys/not-a-uuid", Some(&ada.token), None)
        .await
        .expect_error(StatusCode::BAD_REQUEST, "bad_request");
    app.get("/v1/audit?limit=abc", &ada.token).await.expect_error(StatusCode::BAD_REQUEST, "bad_request");
    app.get("/v1/audit?limit=100000", &ada.token)
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    app.get("/v1/audit?outcome=maybe", &ada.token).await.expect_error(StatusCode::BAD_REQUEST, "bad_request");
    app.get("/v1/audit?colour=red", &ada.token).await.expect_error(StatusCode::BAD_REQUEST, "bad_request");
    app.get("/v1/no-such-route", &ada.token).await.expect_error(StatusCode::NOT_FOUND, "not_found");
    app.call(Method::PUT, "/v1/auth/me", Some(&ada.token), None)
        .await
        .expect_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    app.post("/v1/api-keys", Some(&ada.token), json!({ "name": "old", "expires_at": "2001-01-01T00:00:00Z" }))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    app.post("/v1/api-keys", Some(&ada.token), json!({ "name": "x", "scopes": ["root"] }))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_json");
    assert_eq!(app.count("SELECT count(*) FROM api_keys").await, 0);
}

#[tokio::test]
async fn request_ids_are_kept_when_plain_and_replaced_when_not() {
    let app = TestApp::new().await;
    let mut request = raw(Method::GET, "/healthz", None, None, Body::empty());
    request.headers_mut().insert("x-request-id", "trace-123".parse().unwrap());
    assert_eq!(app.send(request).await.headers["x-request-id"], "trace-123");
    let mut request = raw(Method::GET, "/healthz", None, None, Body::empty());
    request.headers_mut().insert("x-request-id", "evil\u{7f}id".parse().unwrap_or_else(|_| "x y".parse().unwrap()));
    let replaced = app.send(request).await.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(replaced.len(), 36, "{replaced}");
}
