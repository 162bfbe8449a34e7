use axum::http::StatusCode;
use kurobe_server::auth::jwt::JwtKeys;
use serde_json::json;

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn signup_then_me_describes_the_owner() {
    let app = TestApp::new().await;
    let ada = app.signup("Ada@Example.com", "Acme").await;
    let me = app.get("/v1/auth/me", &ada.token).await.expect(StatusCode::OK).body;
    assert_eq!(me["user"]["email"], "ada@example.com");
    assert_eq!(me["organisation"]["name"], "Acme");
    assert_eq!(me["role"], "owner");
    assert_eq!(me["credential"], "session");
    assert_eq!(me["memberships"].as_array().unwrap().len(), 1);
    assert!(me["permissions"].as_array().unwrap().contains(&json!("audit:read")));

    let rows = app.audit_rows("auth.signup").await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].org_id, rows[0].outcome.as_str()), (Some(ada.org_id), "success"));
    assert_eq!(rows[0].ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(rows[0].user_agent.as_deref(), Some("kurobe-tests"));
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users").fetch_one(&app.db.owner).await.unwrap();
    assert!(stored.starts_with("$argon2id$"));
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_audited_in_the_targeted_organisation() {
    let app = TestApp::new().await;
    let ada = app.signup("ada@example.com", "Acme").await;
    let response = app
        .post("/v1/auth/login", None, json!({ "email": "ada@example.com", "password": "not the passphrase" }))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    let rows = app.audit_rows("auth.login").await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!((row.org_id, row.actor_user_id), (Some(ada.org_id), Some(ada.user_id)));
    assert_eq!((row.outcome.as_str(), row.error_code.as_deref()), ("denied", Some("invalid_credentials")));
    assert_eq!(row.request_id.as_deref(), response.headers["x-request-id"].to_str().ok());

    // An unknown email gets the very same answer, audited outside any organisation.
    let unknown = app
        .post("/v1/auth/login", None, json!({ "email": "nobody@example.com", "password": PASSWORD }))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_eq!(unknown.body["error"]["message"], response.body["error"]["message"]);
    let rows = app.audit_rows("auth.login").await;
    assert_eq!((rows.len(), rows[1].org_id, rows[1].actor_user_id), (2, None, None));
}

#[tokio::test]
async fn missing_expired_and_forged_tokens_are_refused() {
    let app = TestApp::new().await;
    let ada = app.signup("ada@example.com", "Acme").await;

    app.call(axum::http::Method::GET, "/v1/auth/me", None, None)
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthenticated");

    let mut expired_settings = app.state.settings.security.clone();
    expired_settings.jwt_ttl_seconds = -120;
    let (expired, _) = JwtKeys::new(&expired_settings).issue(ada.user_id, &ada.email, ada.org_id).unwrap();
    app.get("/v1/auth/me", &expired).await.expect_error(StatusCode::UNAUTHORIZED, "token_expired");

    let mut forged_settings = app.state.settings.security.clone();
    forged_settings.jwt_secret = Some("an-attackers-guess-0123456789-abcdefghijklmnop".to_owned().into());
    let (forged, _) = JwtKeys::new(&forged_settings).issue(ada.user_id, &ada.email, ada.org_id).unwrap();
    app.get("/v1/auth/me", &forged).await.expect_error(StatusCode::UNAUTHORIZED, "invalid_token");
    app.get("/v1/auth/me", "not.a.jwt").await.expect_error(StatusCode::UNAUTHORIZED, "invalid_token");

    // A genuine token for an organisation the user does not belong to is no better.
    let (elsewhere, _) =
        JwtKeys::new(&app.state.settings.security).issue(ada.user_id, &ada.email, uuid::Uuid::new_v4()).unwrap();
    app.get("/v1/auth/me", &elsewhere).await.expect_error(StatusCode::UNAUTHORIZED, "invalid_token");

    let denied = app.audit_rows("http.GET /v1/auth/me").await;
    assert_eq!(denied.len(), 5, "{denied:?}");
    assert!(denied.iter().all(|r| r.outcome == "denied"));
    // None of them is attributed to an organisation: none proved a membership.
    let codes: Vec<_> = denied.iter().map(|r| (r.error_code.as_deref().unwrap(), r.org_id.is_some())).collect();
    assert_eq!(
        codes,
        vec![
            ("unauthenticated", false),
            ("token_expired", false),
            ("invalid_token", false),
            ("invalid_token", false),
            ("invalid_token", false)
        ]
    );
}

#[tokio::test]
async fn api_keys_authenticate_until_revoked_or_expired() {
    let app = TestApp::new().await;
    let ada = app.signup("ada@example.com", "Acme").await;
    let (key, key_id) = app.api_key(&ada, None).await;

    let me = app.get("/v1/auth/me", &key).await.expect(StatusCode::OK).body;
    assert_eq!((me["credential"].as_str(), me["role"].as_str()), (Some("api_key"), Some("owner")));
    let used: i64 = app.count("SELECT count(*) FROM api_keys WHERE last_used_at IS NOT NULL").await;
    assert_eq!(used, 1);

    let mut wrong_secret = key.clone();
    let last = wrong_secret.pop().unwrap();
    wrong_secret.push(if last == 'A' { 'B' } else { 'A' });
    app.get("/v1/auth/me", &wrong_secret).await.expect_error(StatusCode::UNAUTHORIZED, "invalid_api_key");
    app.get("/v1/auth/me", "kb_garbage").await.expect_error(StatusCode::UNAUTHORIZED, "invalid_api_key");

    let (expiring, expiring_id) = app.api_key(&ada, None).await;
    app.expire_api_key(expiring_id).await;
    app.get("/v1/auth/me", &expiring).await.expect_error(StatusCode::UNAUTHORIZED, "api_key_expired");

    app.call(axum::http::Method::DELETE, &format!("/v1/api-keys/{key_id}"), Some(&ada.token), None)
        .await
        .expect(StatusCode::OK);
    app.get("/v1/auth/me", &key).await.expect_error(StatusCode::UNAUTHORIZED, "api_key_revoked");

    let denied = app.audit_rows("http.GET /v1/auth/me").await;
    let summary: Vec<_> =
        denied.iter().map(|r| (r.error_code.as_deref().unwrap(), r.org_id, r.actor_api_key_id)).collect();
    assert_eq!(
        summary,
        vec![
            ("invalid_api_key", None, None),
            ("invalid_api_key", None, None),
            ("api_key_expired", Some(ada.org_id), Some(expiring_id)),
            ("api_key_revoked", Some(ada.org_id), Some(key_id)),
        ]
    );
}

#[tokio::test]
async fn a_key_without_the_scope_is_refused() {
    let app = TestApp::new().await;
    let ada = app.signup("ada@example.com", "Acme").await;
    let (key, key_id) = app.api_key(&ada, Some(vec!["queries:run"])).await;
    app.get("/v1/audit", &key).await.expect_error(StatusCode::FORBIDDEN, "insufficient_scope");
    // A key cannot mint a key with more than it has, nor one at all without api_keys:manage.
    app.post("/v1/api-keys", Some(&key), json!({ "name": "escalate" }))
        .await
        .expect_error(StatusCode::FORBIDDEN, "insufficient_scope");
    let rows = app.audit_rows("api_key.create").await;
    let refused = rows.last().unwrap();
    assert_eq!((refused.outcome.as_str(), refused.actor_api_key_id), ("denied", Some(key_id)));

    let (narrow, _) = app.api_key(&ada, Some(vec!["api_keys:manage"])).await;
    app.post("/v1/api-keys", Some(&narrow), json!({ "name": "wider", "scopes": ["audit:read"] }))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[tokio::test]
async fn switching_organisations_needs_a_membership() {
    let app = TestApp::new().await;
    let ada = app.signup("ada@example.com", "Acme").await;
    let bob = app.signup("bob@example.com", "Bobco").await;
    app.post("/v1/members", Some(&bob.token), json!({ "email": "ada@example.com", "role": "viewer" }))
        .await
        .expect(StatusCode::CREATED);

    let switched = app
        .post("/v1/auth/switch", Some(&ada.token), json!({ "organisation_id": bob.org_id }))
        .await
        .expect(StatusCode::OK);
    assert_eq!(switched.body["role"], "viewer");
    let token = switched.body["access_token"].as_str().unwrap();
    let me = app.get("/v1/auth/me", token).await.expect(StatusCode::OK).body;
    assert_eq!(me["organisation"]["id"], bob.org_id.to_string());
    assert_eq!(me["memberships"].as_array().unwrap().len(), 2);

    // Bob's own organisation list does not reveal Acme.
    let bob_me = app.get("/v1/auth/me", &bob.token).await.body;
    assert_eq!(bob_me["memberships"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn signup_can_be_disabled() {
    let mut settings = crate::support::settings();
    settings.auth.allow_signup = false;
    let app = TestApp::with_settings(settings).await;
    app.post(
        "/v1/auth/signup",
        None,
        json!({ "email": "ada@example.com", "password": PASSWORD, "organisation_name": "Acme" }),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(app.count("SELECT count(*) FROM users").await, 0);
    assert_eq!(app.audit_rows("auth.signup").await[0].outcome, "denied");
}
