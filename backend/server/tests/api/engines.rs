use axum::http::StatusCode;
use serde_json::json;

use kurobe_core::Role;

use crate::support::{PASSWORD, TestApp, settings};

const VALID: &str = "text_to_sql:\n  default: offline\n  engines:\n    offline: { provider: rule_based }\n\
visualization:\n  default: rules\n  engines:\n    rules: { provider: rule_based }\n\
semantic:\n  default: linker\n  engines:\n    linker: { provider: rule_based }\n";

async fn app_with_file() -> (TestApp, tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("engines.yaml");
    std::fs::write(&path, VALID).unwrap();
    let mut settings = settings();
    settings.engines.file = Some(path.clone());
    settings.security.operators = vec![OPERATOR.into()];
    (TestApp::with_settings(settings).await, dir, path)
}

/// The server's operator in these tests; each test's other accounts are tenants only.
const OPERATOR: &str = "Ops@Example.com";

#[tokio::test]
async fn operators_see_the_registry_and_a_broken_file_never_replaces_it() {
    let (app, _dir, path) = app_with_file().await;
    let admin = app.cli_member(None, "ops@example.com", Role::Owner).await;
    let status = app.get("/v1/admin/engines", &admin.token).await.expect(StatusCode::OK).body;
    assert_eq!((status["version"].as_u64(), status["reload_failures"].as_u64()), (Some(1), Some(0)));
    assert_eq!(status["sections"][0]["kind"], "text_to_sql");
    assert_eq!(
        status["sections"][0]["engines"][0],
        json!({
            "name": "offline", "provider": "rule_based", "model": null, "available": true, "unavailable_reason": null
        })
    );

    std::fs::write(&path, VALID.replace("default: offline", "default: missing")).unwrap();
    let refused = app.post("/v1/admin/engines/reload", Some(&admin.token), json!({})).await;
    let message = refused.body["error"]["message"].as_str().unwrap_or_default().to_owned();
    refused.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "engines_invalid");
    assert!(message.contains("text_to_sql.default"), "{message}");
    let status = app.get("/v1/admin/engines", &admin.token).await.body;
    assert_eq!((status["version"].as_u64(), status["reload_failures"].as_u64()), (Some(1), Some(1)));
    assert!(status["last_error"]["message"].as_str().unwrap().contains("missing"));

    std::fs::write(&path, VALID.replace("    offline: { provider: rule_based }\n", "    offline: { provider: rule_based }\n    local:\n      provider: openai_compatible\n      config: { model: m, base_url: \"http://127.0.0.1:9/v1\" }\n")).unwrap();
    let applied = app.post("/v1/admin/engines/reload", Some(&admin.token), json!({})).await.expect(StatusCode::OK).body;
    assert_eq!((applied["outcome"].as_str(), applied["status"]["version"].as_u64()), (Some("applied"), Some(2)));
    assert!(applied["status"]["last_error"].is_null());
    let again = app.post("/v1/admin/engines/reload", Some(&admin.token), json!({})).await.body;
    assert_eq!(again["outcome"], "unchanged");

    let rows = app.audit_rows("engines.reload").await;
    let outcomes: Vec<(&str, Option<&str>)> =
        rows.iter().map(|r| (r.outcome.as_str(), r.error_code.as_deref())).collect();
    assert_eq!(outcomes, vec![("error", Some("engines_invalid")), ("success", None), ("success", None)]);
}

#[tokio::test]
async fn only_engine_managers_touch_the_registry() {
    let (app, _dir, _) = app_with_file().await;
    let owner = app.signup("owner@example.com", "Acme").await;
    let analyst = app.member(&owner, "analyst@example.com", "analyst").await;
    app.get("/v1/admin/engines", &analyst.token).await.expect_error(StatusCode::FORBIDDEN, "forbidden");
    app.post("/v1/admin/engines/reload", Some(&analyst.token), json!({}))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
}

/// The file serves every organisation: an organisation's owner sees its engines, to choose
/// among them, but neither reloads it nor learns where it lives or what broke it.
#[tokio::test]
async fn the_engines_file_is_the_operators_alone() {
    let (app, _dir, path) = app_with_file().await;
    let tenant = app.signup("owner@tenant.example", "Tenant").await;
    // The operator's account is the command line's to make: signing up with its email, or
    // being added under it by an organisation, would hand the server to whoever did it first.
    let body = json!({ "email": "OPS@example.com", "password": PASSWORD, "organisation_name": "Mine" });
    let claimed = app.post("/v1/auth/signup", None, body).await;
    let message = claimed.body["error"]["message"].as_str().unwrap_or_default().to_owned();
    claimed.expect_error(StatusCode::FORBIDDEN, "forbidden");
    assert!(message.contains("kurobe user create"), "{message}");
    let body = json!({ "email": "ops@example.com", "role": "admin", "password": PASSWORD });
    app.post("/v1/members", Some(&tenant.token), body).await.expect_error(StatusCode::FORBIDDEN, "forbidden");
    let operator = app.cli_member(None, "ops@example.com", Role::Owner).await;
    // Once it exists, the account is like any other: taken, and an organisation may add it.
    let body = json!({ "email": "ops@example.com", "password": PASSWORD, "organisation_name": "Mine" });
    app.post("/v1/auth/signup", None, body).await.expect_error(StatusCode::CONFLICT, "email_taken");
    let body = json!({ "email": "ops@example.com", "role": "viewer" });
    app.post("/v1/members", Some(&tenant.token), body).await.expect(StatusCode::CREATED);
    std::fs::write(&path, "text_to_sql: [").unwrap();
    app.post("/v1/admin/engines/reload", Some(&operator.token), json!({}))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "engines_invalid");

    let refused = app.post("/v1/admin/engines/reload", Some(&tenant.token), json!({})).await;
    let message = refused.body["error"]["message"].as_str().unwrap_or_default().to_owned();
    refused.expect_error(StatusCode::FORBIDDEN, "forbidden");
    assert!(message.contains("only its operators"), "{message}");
    let rows = app.audit_rows("engines.reload").await;
    let tenant_rows: Vec<_> = rows.iter().filter(|r| r.org_id == Some(tenant.org_id)).collect();
    assert_eq!(tenant_rows.len(), 1);
    assert_eq!((tenant_rows[0].outcome.as_str(), tenant_rows[0].error_code.as_deref()), ("denied", Some("forbidden")));

    let seen = app.get("/v1/admin/engines", &tenant.token).await.expect(StatusCode::OK).body;
    assert_eq!((seen["file"].clone(), seen["last_error"].clone()), (json!(null), json!(null)));
    assert_eq!(seen["reload_failures"], 1);
    assert_eq!(seen["sections"][0]["engines"][0]["name"], "offline");
    let full = app.get("/v1/admin/engines", &operator.token).await.body;
    assert_eq!(full["file"].as_str(), path.to_str());
    assert!(full["last_error"]["message"].is_string(), "{full}");

    let me = |token: String| {
        let app = &app;
        async move { app.get("/v1/auth/me", &token).await.expect(StatusCode::OK).body["operator"].clone() }
    };
    assert_eq!((me(tenant.token.clone()).await, me(operator.token.clone()).await), (json!(false), json!(true)));
}

const WITH_LOCAL: &str = "    offline: { provider: rule_based }\n    local:\n      provider: openai_compatible\n      config: { model: m, base_url: \"http://127.0.0.1:9/v1\" }\n";

#[tokio::test]
async fn an_organisation_chooses_its_engine_and_keeps_working_when_it_disappears() {
    let (app, _dir, path) = app_with_file().await;
    std::fs::write(&path, VALID.replace("    offline: { provider: rule_based }\n", WITH_LOCAL)).unwrap();
    let a = app.cli_member(None, "ops@example.com", Role::Owner).await;
    let b = app.signup("b@example.com", "Beta").await;
    app.post("/v1/admin/engines/reload", Some(&a.token), json!({})).await.expect(StatusCode::OK);

    let chosen = app
        .call(
            axum::http::Method::PATCH,
            "/v1/organisation",
            Some(&a.token),
            Some(json!({ "engines": { "text_to_sql": "local" } })),
        )
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(
        (chosen["engines"]["text_to_sql"].as_str(), chosen["effective_engines"]["text_to_sql"].as_str()),
        (Some("local"), Some("local"))
    );
    let other = app.get("/v1/organisation", &b.token).await.body;
    assert_eq!(other["effective_engines"]["text_to_sql"], "offline");

    // The registry drops the engine: the choice stays, the organisation uses the default.
    std::fs::write(&path, VALID).unwrap();
    app.post("/v1/admin/engines/reload", Some(&a.token), json!({})).await.expect(StatusCode::OK);
    let after = app.get("/v1/organisation", &a.token).await.body;
    assert_eq!(
        (after["engines"]["text_to_sql"].as_str(), after["effective_engines"]["text_to_sql"].as_str()),
        (Some("local"), Some("offline"))
    );

    for body in [json!({ "engines": { "text_to_sql": "local" } }), json!({ "engines": { "charts": "x" } })] {
        app.call(axum::http::Method::PATCH, "/v1/organisation", Some(&a.token), Some(body))
            .await
            .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    }
    let analyst = app.member(&a, "analyst@example.com", "analyst").await;
    app.call(
        axum::http::Method::PATCH,
        "/v1/organisation",
        Some(&analyst.token),
        Some(json!({ "engines": { "text_to_sql": null } })),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(app.audit_rows("organisation.update").await.iter().filter(|r| r.outcome == "success").count(), 1);
}
