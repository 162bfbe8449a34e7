use std::net::SocketAddr;

use axum::{
    Router,
    body::Body,
    extract::ConnectInfo,
    http::{Method, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use kurobe_server::{AppState, Settings, app};
use kurobe_store::testing::TestDatabase;
use secrecy::SecretString;
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

pub const PASSWORD: &str = "a long test passphrase";

pub struct TestApp {
    pub db: std::sync::Arc<TestDatabase>,
    pub state: AppState,
    router: Router,
}

#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Response {
    /// The error code of an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error body: {:?}", self.body))
    }

    #[track_caller]
    pub fn expect(self, status: StatusCode) -> Self {
        assert_eq!(self.status, status, "body: {}", self.body);
        self
    }

    /// Asserts a whole error body: status, code, and the request id echoed in the header.
    #[track_caller]
    pub fn expect_error(self, status: StatusCode, code: &str) -> Self {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.code(), code, "body: {}", self.body);
        assert_eq!(self.body["error"]["request_id"], self.request_id());
        assert!(self.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        self
    }

    /// The id the server gave this request, from the `X-Request-Id` header.
    pub fn request_id(&self) -> &str {
        self.headers["x-request-id"].to_str().unwrap()
    }
}

/// A signed-in member of one organisation.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub email: String,
}

/// Everything the server logged during the tests, for checks that secrets never reach it.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned()
}

static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct LogSink;

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let subscriber =
            tracing_subscriber::fmt().json().with_max_level(tracing::Level::DEBUG).with_writer(|| LogSink).finish();
        tracing::subscriber::set_global_default(subscriber).ok();
    });
}

pub fn settings() -> Settings {
    let mut settings = Settings::default();
    settings.security.jwt_secret = Some(SecretString::from("test-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz"));
    settings.security.master_keys = Some(SecretString::from("1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="));
    settings.server.body_limit_bytes = 64 * 1024;
    settings
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_settings(settings()).await
    }

    pub async fn with_settings(settings: Settings) -> Self {
        capture_logs();
        Self::on(std::sync::Arc::new(TestDatabase::create().await), settings).await
    }

    /// Another server process on the same database and Redis: same data, its own memory.
    pub async fn attach(other: &TestApp, settings: Settings) -> Self {
        Self::on(other.db.clone(), settings).await
    }

    async fn on(db: std::sync::Arc<TestDatabase>, mut settings: Settings) -> Self {
        let url = format!(
            "postgres://kurobe_app:{}@{}:{}/{}",
            std::env::var("KUROBE_TEST_APP_PASSWORD").unwrap(),
            db.app_options.get_host(),
            db.app_options.get_port(),
            db.name
        );
        settings.database.url = Some(SecretString::from(url));
        if settings.redis.url.is_none() {
            settings.redis.url = std::env::var("KUROBE_TEST_REDIS_URL").ok().map(SecretString::from);
        }
        let state = kurobe_server::build_state(settings).await.expect("state builds");
        let router = app(state.clone());
        Self { db, state, router }
    }

    pub async fn send(&self, request: Request<Body>) -> Response {
        let mut request = request;
        request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([203, 0, 113, 7], 40000))));
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Response { status, headers, body }
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Response {
        let mut builder = Request::builder().method(method).uri(path).header(header::USER_AGENT, "kurobe-tests");
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => builder.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        };
        self.send(request.unwrap()).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// Signs up a new account owning a new organisation.
    pub async fn signup(&self, email: &str, organisation: &str) -> Session {
        let body = json!({ "email": email, "password": PASSWORD, "organisation_name": organisation });
        let response = self.post("/v1/auth/signup", None, body).await.expect(StatusCode::CREATED);
        session(&response.body, email)
    }

    /// Adds a member with `role` to `owner`'s organisation and signs them in.
    pub async fn member(&self, owner: &Session, email: &str, role: &str) -> Session {
        let body = json!({ "email": email, "role": role, "password": PASSWORD });
        self.post("/v1/members", Some(&owner.token), body).await.expect(StatusCode::CREATED);
        self.login(email, Some(owner.org_id)).await
    }

    /// Adds `email` with `role` to the organisation as the command line does (`kurobe user
    /// create`), the only way to make the account of an email `security.operators` lists, and
    /// signs it in. Without an organisation, makes one (`kurobe org create`) for it to own.
    pub async fn cli_member(&self, org_id: Option<Uuid>, email: &str, role: kurobe_core::Role) -> Session {
        let org_id = match org_id {
            Some(id) => id,
            None => kurobe_server::admin::create_organisation(&self.state.store, email).await.unwrap().id,
        };
        kurobe_server::admin::add_user(&self.state.store, org_id, email, PASSWORD, role).await.unwrap();
        self.login(email, Some(org_id)).await
    }

    pub async fn login(&self, email: &str, org: Option<Uuid>) -> Session {
        let body = json!({ "email": email, "password": PASSWORD, "organisation_id": org });
        let response = self.post("/v1/auth/login", None, body).await.expect(StatusCode::OK);
        session(&response.body, email)
    }

    /// Creates an API key with the given scopes (all the role allows when `None`).
    pub async fn api_key(&self, session: &Session, scopes: Option<Vec<&str>>) -> (String, Uuid) {
        let body = json!({ "name": "test key", "scopes": scopes });
        let response = self.post("/v1/api-keys", Some(&session.token), body).await.expect(StatusCode::CREATED);
        let id = response.body["api_key"]["id"].as_str().unwrap().parse().unwrap();
        (response.body["key"].as_str().unwrap().to_owned(), id)
    }

    /// Audit rows with this action, read around the policies, oldest first.
    pub async fn audit_rows(&self, action: &str) -> Vec<AuditRow> {
        sqlx::query_as(&format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE action = $1 ORDER BY seq"))
            .bind(action)
            .fetch_all(&self.db.owner)
            .await
            .unwrap()
    }

    /// Makes a key's expiry a second ago, as time would.
    pub async fn expire_api_key(&self, id: Uuid) {
        sqlx::query("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1")
            .bind(id)
            .execute(&self.db.owner)
            .await
            .unwrap();
    }

    /// The audit rows a request left, by its request id.
    pub async fn audit_of(&self, response: &Response) -> Vec<AuditRow> {
        sqlx::query_as(&format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE request_id = $1 ORDER BY seq"))
            .bind(response.request_id())
            .fetch_all(&self.db.owner)
            .await
            .unwrap()
    }

    /// A digest of everything an organisation holds: its row in `organisations` and its
    /// rows in every table with an `org_id` (the audit log and its chain only when
    /// `with_audit`), to show that requests left it as it was.
    pub async fn tenant_digest(&self, org_id: Uuid, with_audit: bool) -> String {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT c.table_name::text FROM information_schema.columns c JOIN information_schema.tables t \
             USING (table_schema, table_name) WHERE c.table_schema = 'public' AND c.column_name = 'org_id' \
             AND t.table_type = 'BASE TABLE' ORDER BY 1",
        )
        .fetch_all(&self.db.owner)
        .await
        .unwrap();
        // When a key was last used (and so its row updated) changes with the requests it
        // authenticates, refused or not; any other change shows in another column.
        let digest = |table: &str, key: &str| {
            format!(
                "SELECT '{table}' AS t, md5(coalesce(string_agg(r, '|' ORDER BY r), '')) AS d \
                 FROM (SELECT (to_jsonb(x) - ARRAY['last_used_at', 'updated_at'])::text AS r FROM {table} x WHERE {key} = $1) rows"
            )
        };
        let parts: Vec<String> = tables
            .iter()
            .filter(|table| with_audit || !table.starts_with("audit_"))
            .map(|table| digest(table, "org_id"))
            .chain([digest("organisations", "id")])
            .collect();
        let sql = format!("SELECT string_agg(t || ':' || d, ',' ORDER BY t) FROM ({}) s", parts.join(" UNION ALL "));
        sqlx::query_scalar(&sql).bind(org_id).fetch_one(&self.db.owner).await.unwrap()
    }

    pub async fn count_i32(&self, sql: &str) -> i32 {
        sqlx::query_scalar(sql).fetch_one(&self.db.owner).await.unwrap()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.db.owner).await.unwrap()
    }
}

const AUDIT_COLUMNS: &str = "action, org_id, actor_user_id, actor_api_key_id, target, outcome, error_code, \
    host(ip) AS ip, user_agent, request_id";

#[derive(Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub action: String,
    pub org_id: Option<Uuid>,
    pub actor_user_id: Option<Uuid>,
    pub actor_api_key_id: Option<Uuid>,
    pub target: Option<String>,
    pub outcome: String,
    pub error_code: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// A database of its own on the test cluster holding the retail demo (scale 0.001), and the
/// config and credentials of a Postgres data source reading it as the cluster's superuser:
/// the most a careless warehouse could allow, so that only the guard stands in the way.
pub async fn postgres_demo() -> (Value, Value) {
    let admin: tokio_postgres::Config = std::env::var("KUROBE_TEST_ADMIN_URL").unwrap().parse().unwrap();
    let name = format!("kurobe_test_{}", Uuid::new_v4().simple());
    let (client, connection) = admin.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    let mut target = admin.clone();
    target.dbname(&name);
    kurobe_server::demo::load_postgres(&target, "retail", kurobe_demo::ScaleFactor::new(0.001).unwrap()).await.unwrap();
    let tokio_postgres::config::Host::Tcp(host) = &admin.get_hosts()[0] else { panic!("the test cluster is on TCP") };
    let config = json!({
        "kind": "postgres", "host": host, "port": admin.get_ports()[0], "database": name,
        "user": admin.get_user().unwrap(),
    });
    let password = String::from_utf8(admin.get_password().unwrap().to_vec()).unwrap();
    (config, json!({ "password": password }))
}

fn session(body: &Value, email: &str) -> Session {
    let token = body["access_token"].as_str().unwrap().to_owned();
    let org_id = body["organisation"]["id"].as_str().unwrap().parse().unwrap();
    let payload = token.split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let user_id = claims["sub"].as_str().unwrap().parse().unwrap();
    Session { token, org_id, user_id, email: email.to_owned() }
}

/// A test app served on a real loopback TCP port through the binary's own serve path
/// (`kurobe_server::serve`: graceful shutdown, health checks and engine reloads included).
pub struct Listening {
    pub base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TestApp {
    pub async fn listen(&self) -> Listening {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(kurobe_server::serve(self.state.clone(), listener, async {
            stopped.await.ok();
        }));
        Listening { base, stop, server }
    }
}

impl Listening {
    /// Signals the shutdown and waits for the server to finish what is in flight and stop.
    pub async fn shut_down(self) {
        self.stop.send(()).ok();
        tokio::time::timeout(std::time::Duration::from_secs(10), self.server).await.unwrap().unwrap().unwrap();
    }
}

/// A TCP port nothing listens on now, for a service a test starts itself.
pub fn spare_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
