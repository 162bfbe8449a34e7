use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::TestApp;

/// Every route that takes an id, called by organisation A with organisation B's ids,
/// answers 404 exactly as for an id that does not exist, and changes nothing.
#[tokio::test]
async fn another_organisations_ids_are_not_found() {
    let app = TestApp::new().await;
    let a = app.signup("a@example.com", "Alpha").await;
    let b = app.signup("b@example.com", "Beta").await;
    let b_member = app.member(&b, "b2@example.com", "analyst").await;
    let (_, b_key) = app.api_key(&b, None).await;
    let (a_api_key, _) = app.api_key(&a, None).await;

    for credential in [&a.token, &a_api_key] {
        let cases = [
            (Method::DELETE, format!("/v1/api-keys/{b_key}"), None),
            (Method::PATCH, format!("/v1/members/{}", b_member.user_id), Some(json!({ "role": "viewer" }))),
            (Method::DELETE, format!("/v1/members/{}", b_member.user_id), None),
        ];
        for (method, path, body) in cases {
            app.call(method.clone(), &path, Some(credential), body)
                .await
                .expect_error(StatusCode::NOT_FOUND, "not_found");
        }
    }
    app.post("/v1/auth/switch", Some(&a.token), json!({ "organisation_id": b.org_id }))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");

    // B's key still works, B's member is still an analyst.
    let listed = app.get("/v1/members", &b.token).await.expect(StatusCode::OK).body;
    assert!(listed.as_array().unwrap().iter().any(|m| m["email"] == "b2@example.com" && m["role"] == "analyst"));
    assert_eq!(app.count("SELECT count(*) FROM api_keys WHERE revoked_at IS NOT NULL").await, 0);
}

#[tokio::test]
async fn lists_show_only_the_callers_organisation() {
    let app = TestApp::new().await;
    let a = app.signup("a@example.com", "Alpha").await;
    let b = app.signup("b@example.com", "Beta").await;
    app.api_key(&b, None).await;
    app.member(&b, "b2@example.com", "viewer").await;

    assert_eq!(app.get("/v1/api-keys", &a.token).await.body.as_array().unwrap().len(), 0);
    let members = app.get("/v1/members", &a.token).await.body;
    assert_eq!(members.as_array().unwrap().len(), 1);
    let audit = app.get("/v1/audit?limit=500", &a.token).await.expect(StatusCode::OK).body;
    let items = audit["items"].as_array().unwrap();
    assert!(!items.is_empty());
    let b_user = b.user_id.to_string();
    assert!(items.iter().all(|row| row["actor_user_id"] != b_user.as_str()), "{items:?}");
}
