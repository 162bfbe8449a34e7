use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn each_role_is_refused_what_it_may_not_do_and_each_refusal_is_audited() {
    let app = TestApp::new().await;
    let owner = app.signup("owner@example.com", "Acme").await;
    let admin = app.member(&owner, "admin@example.com", "admin").await;
    let analyst = app.member(&owner, "analyst@example.com", "analyst").await;
    let viewer = app.member(&owner, "viewer@example.com", "viewer").await;

    // An update that changes nothing still needs the permission: no "organisation updated"
    // record from a viewer.
    app.call(Method::PATCH, "/v1/organisation", Some(&viewer.token), Some(json!({})))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    // Viewers cannot manage keys.
    app.post("/v1/api-keys", Some(&viewer.token), json!({ "name": "k" }))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    app.get("/v1/api-keys", &viewer.token).await.expect_error(StatusCode::FORBIDDEN, "forbidden");
    // Analysts cannot manage members or read the audit log, but may hold keys.
    app.get("/v1/members", &analyst.token).await.expect_error(StatusCode::FORBIDDEN, "forbidden");
    app.post(
        "/v1/members",
        Some(&analyst.token),
        json!({ "email": "x@example.com", "role": "viewer", "password": "a long enough passphrase" }),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden");
    app.get("/v1/audit", &analyst.token).await.expect_error(StatusCode::FORBIDDEN, "forbidden");
    app.api_key(&analyst, None).await;
    // Admins manage members, but not owners.
    app.post("/v1/members", Some(&admin.token), json!({ "email": "viewer@example.com", "role": "owner" }))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    app.call(Method::DELETE, &format!("/v1/members/{}", owner.user_id), Some(&admin.token), None)
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    app.call(
        Method::PATCH,
        &format!("/v1/members/{}", viewer.user_id),
        Some(&admin.token),
        Some(json!({ "role": "analyst" })),
    )
    .await
    .expect(StatusCode::OK);
    app.get("/v1/audit", &admin.token).await.expect(StatusCode::OK);

    let denied: i64 =
        app.count("SELECT count(*) FROM audit_log WHERE outcome = 'denied' AND error_code = 'forbidden'").await;
    assert_eq!(denied, 8);
    let cross_org: i64 = app
        .count(&format!("SELECT count(*) FROM audit_log WHERE outcome = 'denied' AND org_id <> '{}'", owner.org_id))
        .await;
    assert_eq!(cross_org, 0);
}

#[tokio::test]
async fn the_last_owner_stays() {
    let app = TestApp::new().await;
    let owner = app.signup("owner@example.com", "Acme").await;
    app.call(Method::DELETE, &format!("/v1/members/{}", owner.user_id), Some(&owner.token), None)
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
    app.call(
        Method::PATCH,
        &format!("/v1/members/{}", owner.user_id),
        Some(&owner.token),
        Some(json!({ "role": "admin" })),
    )
    .await
    .expect_error(StatusCode::CONFLICT, "conflict");

    // With a second owner, the first may step down.
    let second = app.member(&owner, "second@example.com", "owner").await;
    app.call(
        Method::PATCH,
        &format!("/v1/members/{}", owner.user_id),
        Some(&second.token),
        Some(json!({ "role": "admin" })),
    )
    .await
    .expect(StatusCode::OK);
    // The demoted owner's old token now carries the new role.
    app.get("/v1/audit", &owner.token).await.expect(StatusCode::OK);
    app.post(
        "/v1/members",
        Some(&owner.token),
        json!({ "email": "x@example.com", "role": "owner", "password": "a long enough passphrase" }),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn a_removed_member_loses_access_at_once() {
    let app = TestApp::new().await;
    let owner = app.signup("owner@example.com", "Acme").await;
    let analyst = app.member(&owner, "analyst@example.com", "analyst").await;
    let (key, _) = app.api_key(&analyst, None).await;
    app.call(Method::DELETE, &format!("/v1/members/{}", analyst.user_id), Some(&owner.token), None)
        .await
        .expect(StatusCode::NO_CONTENT);
    app.get("/v1/auth/me", &analyst.token).await.expect_error(StatusCode::UNAUTHORIZED, "invalid_token");
    app.get("/v1/auth/me", &key).await.expect_error(StatusCode::UNAUTHORIZED, "invalid_token");
}
