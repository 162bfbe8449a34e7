//! The SDK against a live Kurobe server on a socket, with real Postgres, Redis and DuckDB:
//! every method, every error family the server can be made to return, streaming, and a
//! scripted API-key session from the key's creation to a CSV export.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use futures_util::StreamExt;
use kurobe_sdk::{
    Client, Error,
    types::{
        ErrorCode, ErrorFamily, Role,
        api_keys::CreateApiKeyRequest,
        audit::AuditQuery,
        auth::SignupRequest,
        datasources::{CreateDataSourceRequest, DataSourceConfig, RowPolicies, RowPolicy, UpdateDataSourceRequest},
        members::{AddMemberRequest, UpdateMemberRequest},
        organisation::UpdateOrganisationRequest,
        queries::{HistoryQuery, Rating, SaveQuestionRequest, StreamEvent},
    },
};
use kurobe_store::testing::TestDatabase;
use secrecy::SecretString;
use serde_json::json;

const PASSWORD: &str = "a long test passphrase";

/// A server on a spare port, its database, and the folder of its demo DuckDB file.
struct Server {
    base: String,
    demo: std::path::PathBuf,
    _db: Arc<TestDatabase>,
    _dir: tempfile::TempDir,
}

async fn server() -> Server {
    let db = Arc::new(TestDatabase::create().await);
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo.duckdb");
    kurobe_server::demo::load_duckdb(&demo, kurobe_demo::ScaleFactor::new(0.001).unwrap()).await.unwrap();
    let mut settings = kurobe_server::Settings::default();
    settings.security.jwt_secret = Some(SecretString::from("test-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz"));
    settings.security.master_keys = Some(SecretString::from("1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="));
    settings.database.url = Some(SecretString::from(format!(
        "postgres://kurobe_app:{}@{}:{}/{}",
        std::env::var("KUROBE_TEST_APP_PASSWORD").unwrap(),
        db.app_options.get_host(),
        db.app_options.get_port(),
        db.name
    )));
    settings.redis.url = std::env::var("KUROBE_TEST_REDIS_URL").ok().map(SecretString::from);
    settings.connectors.duckdb_dirs = vec![dir.path().to_path_buf()];
    let state = kurobe_server::build_state(settings).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(kurobe_server::serve(state, listener, std::future::pending()));
    Server { base, demo, _db: db, _dir: dir }
}

fn owner_signup() -> SignupRequest {
    SignupRequest {
        email: "owner@example.com".into(),
        password: PASSWORD.into(),
        display_name: None,
        organisation_name: "Acme".into(),
    }
}

fn demo_source(server: &Server) -> CreateDataSourceRequest {
    CreateDataSourceRequest {
        name: "Demo".into(),
        config: DataSourceConfig::DuckDb { path: server.demo.display().to_string() },
        credentials: None,
        limits: None,
    }
}

#[track_caller]
fn api_error(
    result: Result<impl std::fmt::Debug, Error>,
    code: ErrorCode,
    family: ErrorFamily,
) -> kurobe_sdk::ApiError {
    let error = result.unwrap_err();
    let api = error.api().unwrap_or_else(|| panic!("not an API error: {error}")).clone();
    assert_eq!((api.code, api.family()), (code, family), "{api}");
    assert!(!api.request_id.is_empty() && !api.message.is_empty(), "{api}");
    api
}

#[tokio::test]
async fn every_route_answers_through_the_sdk() {
    let server = server().await;
    let signup = owner_signup();
    let (owner, token) = Client::signup(&server.base, &signup).await.unwrap();
    assert!(owner.ready().await.unwrap().ready);
    assert_eq!(owner.me().await.unwrap().organisation.id, token.organisation.id);

    // Data sources.
    let request = demo_source(&server);
    let source = owner.create_datasource(&request).await.unwrap();
    api_error(owner.create_datasource(&request).await, ErrorCode::Conflict, ErrorFamily::Conflict);
    assert_eq!(owner.datasources().await.unwrap().len(), 1);
    assert_eq!(owner.datasource(source.id).await.unwrap().name, "Demo");
    assert!(owner.test_datasource(source.id).await.unwrap().ok);
    assert!(owner.schema(source.id).await.unwrap().schema.tables.iter().any(|t| t.name == "orders"));
    let refreshed = owner.refresh(source.id).await.unwrap();
    assert!(refreshed.generation >= 1);
    let renamed = UpdateDataSourceRequest { name: Some("Retail".into()), ..UpdateDataSourceRequest::default() };
    assert_eq!(owner.update_datasource(source.id, &renamed).await.unwrap().name, "Retail");
    let policies = RowPolicies {
        policies: vec![RowPolicy {
            table: "retail.stores".into(),
            roles: vec![Role::Viewer],
            predicate: "store_type = {{user.attributes.store_type}}".into(),
        }],
    };
    assert_eq!(owner.set_policies(source.id, &policies).await.unwrap(), policies);
    assert_eq!(owner.policies(source.id).await.unwrap(), policies);

    // Questions, SQL, semantic queries; streamed and not.
    let answer = owner.ask(source.id, "How many orders are there by status?").await.unwrap();
    assert_eq!(answer.generation.as_ref().unwrap().engine, "offline");
    assert!(answer.row_count > 0);
    let declined = api_error(
        owner.ask(source.id, "What is the meaning of life?").await,
        ErrorCode::CannotAnswer,
        ErrorFamily::InvalidRequest,
    );
    assert!(!declined.suggestions.is_empty());
    let events: Vec<StreamEvent> =
        owner.ask_stream(source.id, "How many orders are there?").await.unwrap().map(Result::unwrap).collect().await;
    let names: Vec<&str> = events.iter().map(StreamEvent::name).collect();
    assert_eq!(names, ["context", "sql", "executing", "result", "chart", "done"]);
    let sql = owner.sql(source.id, "SELECT status, count(*) AS n FROM retail.orders GROUP BY status").await.unwrap();
    assert_eq!(sql.row_count, 5);
    api_error(
        owner.sql(source.id, "DROP TABLE retail.orders").await,
        ErrorCode::SqlRefused,
        ErrorFamily::InvalidRequest,
    );
    let semantic = owner
        .semantic_query(source.id, json!({ "measures": ["orders.count"], "dimensions": ["orders.status"] }))
        .await
        .unwrap();
    assert_eq!(semantic.row_count, 5);

    // History, re-runs, feedback, saved questions.
    let page =
        owner.queries(&HistoryQuery { status: Some("refused".into()), ..HistoryQuery::default() }).await.unwrap();
    assert_eq!(page.items.len(), 2, "the declined question and the DROP");
    assert_eq!(owner.query(sql.query_id).await.unwrap().row_count, Some(5));
    assert_eq!(owner.rerun(sql.query_id).await.unwrap().rows, sql.rows);
    owner.feedback(answer.query_id, Rating::Up, Some("right")).await.unwrap();
    let saved = owner
        .save(&SaveQuestionRequest {
            name: "Orders by status".into(),
            datasource_id: source.id,
            question: Some("How many orders are there by status?".into()),
            sql: answer.sql.clone(),
        })
        .await
        .unwrap();
    assert_eq!(owner.saved().await.unwrap().len(), 1);
    owner.delete_saved(saved.id).await.unwrap();
    api_error(owner.delete_saved(saved.id).await, ErrorCode::NotFound, ErrorFamily::NotFound);

    // Members, the organisation, engines, the audit log.
    let viewer = owner
        .add_member(&AddMemberRequest {
            email: "viewer@example.com".into(),
            role: Role::Viewer,
            password: Some(PASSWORD.into()),
            display_name: None,
        })
        .await
        .unwrap();
    let attributes =
        UpdateMemberRequest { role: None, attributes: Some([("store_type".to_owned(), "online".to_owned())].into()) };
    assert_eq!(owner.update_member(viewer.user_id, &attributes).await.unwrap().attributes["store_type"], "online");
    let (as_viewer, _) = Client::login(&server.base, "viewer@example.com", PASSWORD).await.unwrap();
    api_error(as_viewer.sql(source.id, "SELECT 1 AS one").await, ErrorCode::Forbidden, ErrorFamily::Permission);
    assert_eq!(owner.members().await.unwrap().len(), 2);
    owner.remove_member(viewer.user_id).await.unwrap();
    let renamed = UpdateOrganisationRequest { name: Some("Acme Ltd".into()), ..Default::default() };
    assert_eq!(owner.update_organisation(&renamed).await.unwrap().name, "Acme Ltd");
    assert_eq!(owner.organisation().await.unwrap().effective_engines["text_to_sql"], "offline");
    assert!(owner.engines().await.unwrap().version >= 1);
    // The engines file is the server's operators', and this owner signed up as a tenant.
    api_error(owner.reload_engines().await, ErrorCode::Forbidden, ErrorFamily::Permission);
    let audit = owner.audit(&AuditQuery { action: Some("query.".into()), ..AuditQuery::default() }).await.unwrap();
    assert!(audit.items.len() >= 8, "{}", audit.items.len());

    // Switching organisation: a member of two gets a token for the other.
    let other = SignupRequest { email: "other@example.com".into(), organisation_name: "Other".into(), ..signup };
    let (other_owner, other_token) = Client::signup(&server.base, &other).await.unwrap();
    let invite =
        AddMemberRequest { email: "owner@example.com".into(), role: Role::Analyst, password: None, display_name: None };
    other_owner.add_member(&invite).await.unwrap();
    let (switched, token) = owner.switch_organisation(other_token.organisation.id).await.unwrap();
    assert_eq!(token.organisation.id, other_token.organisation.id);
    api_error(switched.datasource(source.id).await, ErrorCode::NotFound, ErrorFamily::NotFound);

    // A wrong credential is an authentication error with its request id.
    let stranger = Client::new(&server.base, "kb_00000000000000000000000000000000_nope").unwrap();
    api_error(stranger.me().await, ErrorCode::InvalidApiKey, ErrorFamily::Authentication);
    owner.delete_datasource(source.id).await.unwrap();
}

#[tokio::test]
async fn a_scripted_api_key_session_from_creation_to_csv_export() {
    let server = server().await;
    let signup = owner_signup();
    let (owner, _) = Client::signup(&server.base, &signup).await.unwrap();
    let request = demo_source(&server);
    let source = owner.create_datasource(&request).await.unwrap();
    let scopes = Some(vec![kurobe_sdk::types::Permission::QueriesRun, kurobe_sdk::types::Permission::QueriesRead]);
    let created = owner
        .create_api_key(&CreateApiKeyRequest { name: "nightly export".into(), scopes, expires_at: None })
        .await
        .unwrap();

    // The script: the key alone, as it would come from KUROBE_API_KEY.
    let script = Client::new(&server.base, created.key.clone()).unwrap();
    let answer = script.sql(source.id, "SELECT order_id, status FROM retail.orders ORDER BY order_id").await.unwrap();
    let mut csv = Vec::new();
    let mut chunks = script.export_csv(answer.query_id).await.unwrap();
    while let Some(chunk) = chunks.next().await {
        csv.extend_from_slice(&chunk.unwrap());
    }
    let text = String::from_utf8(csv).unwrap();
    assert_eq!(text.lines().next(), Some("order_id,status"));
    assert_eq!(text.lines().count(), answer.row_count + 1);
    // Outside its scopes, and once revoked, the key is refused.
    api_error(script.api_keys().await, ErrorCode::InsufficientScope, ErrorFamily::Permission);
    owner.revoke_api_key(created.api_key.id).await.unwrap();
    api_error(script.queries(&HistoryQuery::default()).await, ErrorCode::ApiKeyRevoked, ErrorFamily::Authentication);
    let keys = owner.api_keys().await.unwrap();
    assert!(keys[0].revoked_at.is_some());
}
