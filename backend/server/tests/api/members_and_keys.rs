use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn members_are_added_changed_and_listed() {
    let app = TestApp::new().await;
    let owner = app.signup("owner@example.com", "Acme").await;
    app.post("/v1/members", Some(&owner.token), json!({ "email": "new@example.com", "role": "analyst" }))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let added = app
        .post(
            "/v1/members",
            Some(&owner.token),
            json!({ "email": "New@Example.com", "role": "analyst", "password": PASSWORD }),
        )
        .await
        .expect(StatusCode::CREATED)
        .body;
    assert_eq!((added["email"].as_str(), added["role"].as_str()), (Some("new@example.com"), Some("analyst")));
    app.post("/v1/members", Some(&owner.token), json!({ "email": "new@example.com", "role": "viewer" }))
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
    let user_id = added["user_id"].as_str().unwrap();
    let changed = app
        .call(Method::PATCH, &format!("/v1/members/{user_id}"), Some(&owner.token), Some(json!({ "role": "admin" })))
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(changed["role"], "admin");
    let members = app.get("/v1/members", &owner.token).await.body;
    assert_eq!(members.as_array().unwrap().len(), 2);
    let rows = app.audit_rows("member.update").await;
    assert_eq!((rows.len(), rows[0].target.as_deref()), (1, Some(user_id)));
}

#[tokio::test]
async fn a_key_is_shown_once_and_never_stored_or_audited_in_clear() {
    let app = TestApp::new().await;
    let owner = app.signup("owner@example.com", "Acme").await;
    let (key, id) = app.api_key(&owner, Some(vec!["queries:run", "datasources:read"])).await;
    let prefix = format!("kb_{}_", id.simple());
    assert!(key.starts_with(&prefix));
    // The whole secret: it is base64url, so it may itself contain `_`.
    let secret = &key[prefix.len()..];

    let listed = app.get("/v1/api-keys", &owner.token).await.expect(StatusCode::OK).body;
    let text = listed.to_string();
    assert!(!text.contains(secret), "{text}");
    assert_eq!(listed[0]["scopes"], json!(["datasources:read", "queries:run"]));
    assert_eq!(listed[0]["prefix"], format!("kb_{}", id.simple()));

    let everything: String = sqlx::query_scalar(
        "SELECT concat_ws(' ', (SELECT string_agg(a::text, ' ') FROM audit_log a), \
                             (SELECT string_agg(k::text, ' ') FROM api_keys k), \
                             (SELECT string_agg(u::text, ' ') FROM users u))",
    )
    .fetch_one(&app.db.owner)
    .await
    .unwrap();
    assert!(!everything.contains(secret));
    assert!(!everything.contains(PASSWORD));

    // Revoking twice keeps the first revocation time.
    let first = app.call(Method::DELETE, &format!("/v1/api-keys/{id}"), Some(&owner.token), None).await.body;
    let second = app.call(Method::DELETE, &format!("/v1/api-keys/{id}"), Some(&owner.token), None).await.body;
    assert_eq!(first["revoked_at"], second["revoked_at"]);
}

#[tokio::test]
async fn analysts_see_and_revoke_only_their_own_keys() {
    let app = TestApp::new().await;
    let owner = app.signup("owner@example.com", "Acme").await;
    let analyst = app.member(&owner, "analyst@example.com", "analyst").await;
    let (_, owner_key) = app.api_key(&owner, None).await;
    let (_, analyst_key) = app.api_key(&analyst, None).await;

    let seen = app.get("/v1/api-keys", &analyst.token).await.body;
    assert_eq!(seen.as_array().unwrap().len(), 1);
    app.call(Method::DELETE, &format!("/v1/api-keys/{owner_key}"), Some(&analyst.token), None)
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(app.get("/v1/api-keys", &owner.token).await.body.as_array().unwrap().len(), 2);
    app.call(Method::DELETE, &format!("/v1/api-keys/{analyst_key}"), Some(&owner.token), None)
        .await
        .expect(StatusCode::OK);
}
