//! Credentials that must not get in: forged and altered tokens, tokens past their time or of
//! a removed member, revoked, expired and mismatched API keys, malformed headers. Each is
//! refused with its own 401 code on the API and on the MCP endpoint alike, changes nothing,
//! and leaves an audit row, attributed to an organisation only when the credential proved
//! one (a key's secret matched).

use axum::{
    body::Body,
    http::{HeaderValue, Method, Request, StatusCode, header},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use kurobe_server::{auth::jwt::JwtKeys, settings::SecuritySettings};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{Response, TestApp};

/// A refused credential: what is presented, the code it must get, and the organisation and
/// key the audit row may name.
struct Case {
    name: &'static str,
    authorization: Option<HeaderValue>,
    code: &'static str,
    org_id: Option<Uuid>,
    api_key_id: Option<Uuid>,
}

fn bearer(token: &str) -> Option<HeaderValue> {
    Some(HeaderValue::from_str(&format!("Bearer {token}")).unwrap())
}

fn case(name: &'static str, authorization: Option<HeaderValue>, code: &'static str) -> Case {
    Case { name, authorization, code, org_id: None, api_key_id: None }
}

/// Three routes the credential is tried on: a read, a write, and the MCP endpoint.
async fn try_everywhere(app: &TestApp, case: &Case) -> Vec<Response> {
    let calls = [
        (Method::GET, "/v1/auth/me", None),
        (Method::POST, "/v1/api-keys", Some(json!({ "name": "intruder" }))),
        (Method::POST, "/mcp", Some(json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }))),
    ];
    let mut responses = Vec::new();
    for (method, path, body) in calls {
        let mut request = Request::builder().method(method).uri(path).header(header::USER_AGENT, "kurobe-tests");
        if let Some(value) = &case.authorization {
            request = request.header(header::AUTHORIZATION, value.clone());
        }
        let request = match body {
            Some(body) => {
                request.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())).unwrap()
            }
            None => request.body(Body::empty()).unwrap(),
        };
        responses.push(app.send(request).await);
    }
    responses
}

/// Each case is refused with its code everywhere and audited as it must be; no key was made.
async fn check(app: &TestApp, cases: &[Case]) {
    let keys_before = app.count("SELECT count(*) FROM api_keys").await;
    for case in cases {
        for response in try_everywhere(app, case).await {
            let label = format!("{} on {:?}", case.name, response.body);
            let response = response.expect_error(StatusCode::UNAUTHORIZED, case.code);
            let rows = app.audit_of(&response).await;
            assert_eq!(rows.len(), 1, "{label}: {rows:?}");
            let row = &rows[0];
            assert_eq!(
                (row.outcome.as_str(), row.error_code.as_deref(), row.org_id, row.actor_api_key_id),
                ("denied", Some(case.code), case.org_id, case.api_key_id),
                "{label}"
            );
            // Named by the middleware: the handler never ran.
            assert!(row.action.starts_with("http."), "{label}: {}", row.action);
        }
    }
    assert_eq!(app.count("SELECT count(*) FROM api_keys").await, keys_before);
}

/// A token whose payload was edited and whose header and signature were kept.
fn altered(token: &str, edit: impl FnOnce(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    edit(&mut claims);
    format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(claims.to_string()), parts[2])
}

/// A token with another header and no signature, as `alg: none` tokens are sent.
fn unsigned(token: &str, keep_signature: bool) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    format!("{header}.{}.{}", parts[1], if keep_signature { parts[2] } else { "" })
}

#[tokio::test]
async fn forged_altered_and_stale_tokens_are_refused_and_audited_outside_any_organisation() {
    let app = TestApp::new().await;
    let ada = app.signup("ada@acme.example", "Acme").await;
    let bea = app.signup("bea@beta.example", "Beta").await;
    let gone = app.member(&ada, "gone@acme.example", "analyst").await;
    app.call(Method::DELETE, &format!("/v1/members/{}", gone.user_id), Some(&ada.token), None)
        .await
        .expect(StatusCode::NO_CONTENT);

    let security = app.state.settings.security.clone();
    let secret = security.jwt_secret.as_ref().unwrap().expose_secret().trim().to_owned();
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(ada.token.split('.').nth(1).unwrap()).unwrap()).unwrap();
    // Signed with the server's own key, but not as the server signs.
    let signed = |algorithm: Algorithm, claims: &Value| {
        jsonwebtoken::encode(&Header::new(algorithm), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
    };
    let issued_with = |settings: SecuritySettings, user: Uuid, email: &str, org: Uuid| {
        JwtKeys::new(&settings).issue(user, email, org).unwrap().0
    };
    let mut no_expiry = claims.clone();
    no_expiry.as_object_mut().unwrap().remove("exp");

    let cases = [
        case("alg none", bearer(&unsigned(&ada.token, false)), "invalid_token"),
        case("alg none, the signature kept", bearer(&unsigned(&ada.token, true)), "invalid_token"),
        case("HS512 with the server's key", bearer(&signed(Algorithm::HS512, &claims)), "invalid_token"),
        case("no expiry, signed with the server's key", bearer(&signed(Algorithm::HS256, &no_expiry)), "invalid_token"),
        case(
            "Beta's organisation, the signature kept",
            bearer(&altered(&ada.token, |c| c["org_id"] = json!(bea.org_id))),
            "invalid_token",
        ),
        case(
            "Beta's owner, the signature kept",
            bearer(&altered(&ada.token, |c| {
                c["sub"] = json!(bea.user_id);
                c["org_id"] = json!(bea.org_id);
            })),
            "invalid_token",
        ),
        case(
            "a later expiry, the signature kept",
            bearer(&altered(&ada.token, |c| c["exp"] = json!(c["exp"].as_i64().unwrap() + 86_400))),
            "invalid_token",
        ),
        case(
            "Beta's owner, signed with another key",
            bearer(&issued_with(
                SecuritySettings {
                    jwt_secret: Some("another-key-entirely-0123456789-abcdefghijkl".to_owned().into()),
                    ..security.clone()
                },
                bea.user_id,
                &bea.email,
                bea.org_id,
            )),
            "invalid_token",
        ),
        case(
            "another audience",
            bearer(&issued_with(
                SecuritySettings { jwt_audience: "service_role".into(), ..security.clone() },
                ada.user_id,
                &ada.email,
                ada.org_id,
            )),
            "invalid_token",
        ),
        case(
            "another issuer",
            bearer(&issued_with(
                SecuritySettings { jwt_issuer: "someone-else".into(), ..security.clone() },
                ada.user_id,
                &ada.email,
                ada.org_id,
            )),
            "invalid_token",
        ),
        // Past the five seconds of leeway for clock skew.
        case(
            "expired ten seconds ago",
            bearer(&issued_with(
                SecuritySettings { jwt_ttl_seconds: -10, ..security.clone() },
                ada.user_id,
                &ada.email,
                ada.org_id,
            )),
            "token_expired",
        ),
        case("a removed member's session", bearer(&gone.token), "invalid_token"),
    ];
    check(&app, &cases).await;
}

#[tokio::test]
async fn revoked_expired_and_mismatched_api_keys_are_refused_and_audited_where_the_secret_proved_a_key() {
    let app = TestApp::new().await;
    let ada = app.signup("ada@acme.example", "Acme").await;
    let bea = app.signup("bea@beta.example", "Beta").await;
    let (first, first_id) = app.api_key(&ada, None).await;
    let (second, _) = app.api_key(&ada, None).await;
    let (betas, betas_id) = app.api_key(&bea, None).await;
    let (revoked, revoked_id) = app.api_key(&ada, None).await;
    app.call(Method::DELETE, &format!("/v1/api-keys/{revoked_id}"), Some(&ada.token), None)
        .await
        .expect(StatusCode::OK);
    let (expired, expired_id) = app.api_key(&ada, None).await;
    app.expire_api_key(expired_id).await;
    let gone = app.member(&ada, "gone@acme.example", "analyst").await;
    let (gones, gones_id) = app.api_key(&gone, None).await;
    app.call(Method::DELETE, &format!("/v1/members/{}", gone.user_id), Some(&ada.token), None)
        .await
        .expect(StatusCode::NO_CONTENT);

    // `kb_<id>_<secret>`: the secret is everything after the id, and may itself hold `_`.
    let secret = |key: &str| key[3 + 32 + 1..].to_owned();
    let proved = |mut case: Case, key: Uuid| {
        case.org_id = Some(ada.org_id);
        case.api_key_id = Some(key);
        case
    };
    let cases = [
        proved(case("a revoked key", bearer(&revoked), "api_key_revoked"), revoked_id),
        proved(case("an expired key", bearer(&expired), "api_key_expired"), expired_id),
        // The secret is genuine, so the refusal is Acme's to see; the member is not.
        proved(case("a removed member's key", bearer(&gones), "invalid_token"), gones_id),
        case(
            "an Acme key's id with another Acme key's secret",
            bearer(&format!("kb_{}_{}", first_id.simple(), secret(&second))),
            "invalid_api_key",
        ),
        case(
            "Beta's key id with an Acme key's secret",
            bearer(&format!("kb_{}_{}", betas_id.simple(), secret(&first))),
            "invalid_api_key",
        ),
        case(
            "an Acme key's id with Beta's secret",
            bearer(&format!("kb_{}_{}", first_id.simple(), secret(&betas))),
            "invalid_api_key",
        ),
        case("a key cut short", bearer(&first[..first.len() - 1]), "invalid_api_key"),
        case("a key with a character added", bearer(&format!("{first}A")), "invalid_api_key"),
        case("a key's secret alone", bearer(&secret(&first)), "invalid_token"),
    ];
    check(&app, &cases).await;
    // The genuine keys still work.
    app.get("/v1/auth/me", &first).await.expect(StatusCode::OK);
    app.get("/v1/auth/me", &betas).await.expect(StatusCode::OK);
}

#[tokio::test]
async fn malformed_authorization_headers_are_refused_and_audited() {
    let app = TestApp::new().await;
    let ada = app.signup("ada@acme.example", "Acme").await;
    let value = |text: &str| Some(HeaderValue::from_str(text).unwrap());
    let cases = [
        case("no header", None, "unauthenticated"),
        case("basic authentication", value("Basic YWRhOmEgbG9uZyB0ZXN0IHBhc3NwaHJhc2U="), "unauthenticated"),
        case("a bare scheme", value("Bearer"), "unauthenticated"),
        case("a scheme and blanks", value("Bearer    "), "unauthenticated"),
        case("another scheme with a genuine token", value(&format!("Token {}", ada.token)), "unauthenticated"),
        case("a genuine token without a scheme", value(&ada.token), "unauthenticated"),
        case(
            "bytes that are not text",
            Some(HeaderValue::from_bytes(b"Bearer \xff\xfe\xfd").unwrap()),
            "unauthenticated",
        ),
        case("a genuine token with text after it", value(&format!("Bearer {} x", ada.token)), "invalid_token"),
        case("sixteen kilobytes of token", value(&format!("Bearer {}", "a.b".repeat(5_500))), "invalid_token"),
        case("a key prefix alone", value("Bearer kb_"), "invalid_api_key"),
    ];
    check(&app, &cases).await;
}
