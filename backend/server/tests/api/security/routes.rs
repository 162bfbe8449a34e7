//! Every route of openapi.json, called by every role with its own organisation's ids and
//! with another organisation's: the permission `kurobe_core::permission` documents for the
//! route decides between its success and `403 forbidden`; another organisation's ids answer
//! exactly as ids that do not exist (`404 not_found`, or the same `403` a caller without the
//! permission gets for any id), change nothing there, and every refusal is audited in the
//! caller's organisation and leaves the caller's data as it was. An API key narrowed to one
//! scope calls too: every role holds `datasources:read` and `queries:read`, so only a key
//! without them shows that the routes needing them check them. Acme's admin operates the
//! server and its owner does not, so a server-wide route refuses the owner.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use kurobe_api::ErrorCode;
use kurobe_core::{Permission, Role};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    queries::app_with_demo_settings,
    support::{PASSWORD, Response, Session, TestApp, settings},
};

/// Who may call a route.
#[derive(Debug, Clone, Copy)]
enum Access {
    /// Anyone, with or without a credential.
    Public,
    /// Any member of the organisation.
    Member,
    /// Any member signed in with a session, not an API key.
    Session,
    Needs(Permission),
    /// The permission, and one of the server's operators (`security.operators`).
    Operator(Permission),
}

/// What a route's id (in its path, or its body) names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Nothing,
    Organisation,
    DataSource,
    /// A data source made for this one call, which may delete it.
    FreshDataSource,
    /// A query of the history that succeeded.
    Query,
    FreshSavedQuestion,
    /// A key the caller made, so that it is theirs to revoke (the owner's for a role that
    /// may not hold keys).
    FreshApiKey,
    FreshMember,
    /// A background job's run that failed, which may be retried again and again.
    FailedJobRun,
}

/// What a call puts in its path and body.
struct Call {
    id: String,
    unique: String,
    email: String,
    demo: String,
}

struct Route {
    method: Method,
    path: &'static str,
    access: Access,
    target: Target,
    ok: StatusCode,
    body: fn(&Call) -> Option<Value>,
}

fn route(
    method: Method,
    path: &'static str,
    access: Access,
    target: Target,
    ok: StatusCode,
    body: fn(&Call) -> Option<Value>,
) -> Route {
    Route { method, path, access, target, ok, body }
}

fn routes() -> Vec<Route> {
    use Access::{Member, Needs, Public};
    use Method as M;
    use Permission::*;
    use StatusCode as S;
    use Target::*;
    let none = |_: &Call| None;
    vec![
        route(M::GET, "/healthz", Public, Nothing, S::OK, none),
        route(M::GET, "/readyz", Public, Nothing, S::OK, none),
        route(M::POST, "/v1/auth/signup", Public, Nothing, S::CREATED, |c| {
            Some(
                json!({ "email": format!("{}@example.com", c.unique), "password": PASSWORD, "organisation_name": c.unique }),
            )
        }),
        route(M::POST, "/v1/auth/login", Public, Nothing, S::OK, |c| {
            Some(json!({ "email": c.email, "password": PASSWORD }))
        }),
        route(M::POST, "/v1/auth/switch", Access::Session, Organisation, S::OK, |c| {
            Some(json!({ "organisation_id": c.id }))
        }),
        route(M::GET, "/v1/auth/me", Member, Nothing, S::OK, none),
        route(M::GET, "/v1/organisation", Member, Nothing, S::OK, none),
        route(M::PATCH, "/v1/organisation", Needs(OrganisationManage), Nothing, S::OK, |_| {
            Some(json!({ "name": "Acme" }))
        }),
        route(M::GET, "/v1/members", Needs(MembersManage), Nothing, S::OK, none),
        route(M::POST, "/v1/members", Needs(MembersManage), Nothing, S::CREATED, |c| {
            Some(json!({ "email": format!("{}@example.com", c.unique), "role": "viewer", "password": PASSWORD }))
        }),
        route(M::PATCH, "/v1/members/{user_id}", Needs(MembersManage), FreshMember, S::OK, |_| {
            Some(json!({ "role": "viewer" }))
        }),
        route(M::DELETE, "/v1/members/{user_id}", Needs(MembersManage), FreshMember, S::NO_CONTENT, none),
        route(M::GET, "/v1/api-keys", Needs(ApiKeysManage), Nothing, S::OK, none),
        route(M::POST, "/v1/api-keys", Needs(ApiKeysManage), Nothing, S::CREATED, |c| {
            Some(json!({ "name": c.unique }))
        }),
        route(M::DELETE, "/v1/api-keys/{id}", Needs(ApiKeysManage), FreshApiKey, S::OK, none),
        route(M::GET, "/v1/audit", Needs(AuditRead), Nothing, S::OK, none),
        route(M::GET, "/v1/datasources", Needs(DatasourcesRead), Nothing, S::OK, none),
        route(M::POST, "/v1/datasources", Needs(DatasourcesManage), Nothing, S::CREATED, |c| {
            Some(json!({ "name": c.unique, "config": { "kind": "duckdb", "path": c.demo } }))
        }),
        route(M::GET, "/v1/datasources/{id}", Needs(DatasourcesRead), DataSource, S::OK, none),
        route(M::PATCH, "/v1/datasources/{id}", Needs(DatasourcesManage), FreshDataSource, S::OK, |c| {
            Some(json!({ "name": c.unique }))
        }),
        route(M::DELETE, "/v1/datasources/{id}", Needs(DatasourcesManage), FreshDataSource, S::NO_CONTENT, none),
        route(M::POST, "/v1/datasources/{id}/test", Needs(DatasourcesManage), DataSource, S::OK, none),
        route(M::GET, "/v1/datasources/{id}/schema", Needs(DatasourcesRead), DataSource, S::OK, none),
        route(M::POST, "/v1/datasources/{id}/refresh", Needs(DatasourcesManage), DataSource, S::OK, none),
        route(M::GET, "/v1/datasources/{id}/policies", Needs(DatasourcesRead), DataSource, S::OK, none),
        route(M::PUT, "/v1/datasources/{id}/policies", Needs(DatasourcesManage), DataSource, S::OK, |_| {
            Some(json!({ "policies": [] }))
        }),
        route(M::POST, "/v1/query", Needs(QueriesRun), DataSource, S::OK, |c| {
            Some(json!({ "datasource_id": c.id, "question": "How many orders are there?" }))
        }),
        route(M::POST, "/v1/sql", Needs(QueriesRun), DataSource, S::OK, |c| {
            Some(json!({ "datasource_id": c.id, "sql": "SELECT count(*) FROM retail.orders" }))
        }),
        route(M::POST, "/v1/semantic/query", Needs(QueriesRun), DataSource, S::OK, |c| {
            Some(json!({ "datasource_id": c.id, "query": { "measures": ["orders.count"] } }))
        }),
        route(M::GET, "/v1/queries", Needs(QueriesRead), Nothing, S::OK, none),
        route(M::GET, "/v1/queries/{id}", Needs(QueriesRead), Query, S::OK, none),
        route(M::POST, "/v1/queries/{id}/rerun", Needs(QueriesRun), Query, S::OK, none),
        route(M::GET, "/v1/queries/{id}/result.csv", Needs(QueriesRun), Query, S::OK, none),
        route(M::POST, "/v1/queries/{id}/feedback", Needs(QueriesRun), Query, S::NO_CONTENT, |_| {
            Some(json!({ "rating": "up" }))
        }),
        route(M::GET, "/v1/saved", Needs(QueriesRead), Nothing, S::OK, none),
        route(M::PUT, "/v1/saved/{id}/pin", Needs(QueriesRun), FreshSavedQuestion, S::OK, none),
        route(M::DELETE, "/v1/saved/{id}/pin", Needs(QueriesRun), FreshSavedQuestion, S::OK, none),
        route(M::POST, "/v1/saved", Needs(QueriesRun), DataSource, S::CREATED, |c| {
            Some(json!({ "name": c.unique, "datasource_id": c.id, "sql": "SELECT 1" }))
        }),
        route(M::DELETE, "/v1/saved/{id}", Needs(QueriesRun), FreshSavedQuestion, S::NO_CONTENT, none),
        route(M::GET, "/v1/admin/engines", Needs(EnginesManage), Nothing, S::OK, none),
        route(M::POST, "/v1/admin/engines/reload", Access::Operator(EnginesManage), Nothing, S::OK, none),
        route(M::GET, "/v1/admin/jobs", Needs(EnginesManage), Nothing, S::OK, none),
        // `{name}` is a job's name, the same in every organisation; the run is the caller's.
        route(M::POST, "/v1/admin/jobs/{name}/run", Needs(EnginesManage), Nothing, S::ACCEPTED, none),
        route(M::POST, "/v1/admin/jobs/runs/{id}/retry", Needs(EnginesManage), FailedJobRun, S::ACCEPTED, none),
        // MCP itself takes any member; the tool called here needs `queries:run`.
        route(M::POST, "/mcp", Needs(QueriesRun), DataSource, S::OK, |c| {
            Some(json!({
                "jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": { "name": "run_sql", "arguments": { "datasource_id": c.id, "sql": "SELECT count(*) FROM retail.orders" } },
            }))
        }),
    ]
}

/// Every (method, path) of the committed contract.
fn documented_routes() -> BTreeSet<(String, String)> {
    let document: Value = serde_json::from_str(include_str!("../../../../../openapi.json")).unwrap();
    let mut routes = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            routes.insert((method.to_uppercase(), path.clone()));
        }
    }
    routes
}

/// A member with a session, or the owner's API key narrowed to `scopes`.
struct Caller {
    role: Role,
    session: Session,
    scopes: Option<Vec<Permission>>,
    operator: bool,
}

/// The one member of Acme who operates the server.
const OPERATOR: &str = "admin@acme.example";

impl Caller {
    /// The code this caller is refused with on a route, or `None` when it may call it.
    fn refusal(&self, access: Access) -> Option<&'static str> {
        match access {
            Access::Public | Access::Member => None,
            Access::Session => self.scopes.is_some().then_some("forbidden"),
            Access::Needs(permission) if !self.role.allows(permission) => Some("forbidden"),
            Access::Needs(permission) => {
                self.scopes.as_ref().is_some_and(|s| !s.contains(&permission)).then_some("insufficient_scope")
            }
            Access::Operator(permission) => {
                self.refusal(Access::Needs(permission)).or((!self.operator).then_some("forbidden"))
            }
        }
    }

    fn label(&self) -> String {
        match &self.scopes {
            Some(scopes) => format!("the {} key scoped to {scopes:?}", self.role),
            None => self.role.to_string(),
        }
    }
}

/// The other organisation's ids.
struct Foreign {
    org: Uuid,
    datasource: String,
    query: String,
    saved: String,
    api_key: String,
    member: String,
    failed_run: String,
}

/// Two organisations: Acme, with a member of every role, and Beta, whose ids Acme's members
/// try.
struct World {
    app: TestApp,
    _dir: tempfile::TempDir,
    demo: String,
    owner: Session,
    callers: Vec<Caller>,
    /// Acme's data source, a query of its history and a failed job run; what else a call
    /// needs is made for it.
    datasource: String,
    query: String,
    failed_run: String,
    foreign: Foreign,
}

async fn succeeded_query(app: &TestApp, session: &Session, datasource: &str) -> String {
    let body =
        json!({ "datasource_id": datasource, "sql": "SELECT status, count(*) FROM retail.orders GROUP BY status" });
    let answer = app.post("/v1/sql", Some(&session.token), body).await.expect(StatusCode::OK).body;
    answer["query_id"].as_str().unwrap().to_owned()
}

/// A run of a background job that failed, as one whose data source was unreachable would.
async fn failed_run(app: &TestApp, org: Uuid) -> String {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO job_runs (id, org_id, job, trigger, state, attempts, max_attempts, last_error) \
         VALUES ($1, $2, 'schema_refresh', 'manual', 'failed', 1, 1, 'the data source did not answer')",
    )
    .bind(id)
    .bind(org)
    .execute(&app.db.owner)
    .await
    .unwrap();
    id.to_string()
}

fn id_of(response: Response, field: &str) -> String {
    response.body[field].as_str().unwrap_or_else(|| panic!("no {field} in {}", response.body)).to_owned()
}

impl World {
    async fn new() -> Self {
        let mut settings = settings();
        settings.security.operators = vec![OPERATOR.into()];
        let (app, dir, owner, datasource) = app_with_demo_settings(settings).await;
        let demo = dir.path().join("demo.duckdb").display().to_string();
        let mut callers = vec![Caller { role: Role::Owner, session: owner.clone(), scopes: None, operator: false }];
        for role in [Role::Admin, Role::Analyst, Role::Viewer] {
            let email = format!("{role}@acme.example");
            let operator = email == OPERATOR;
            // Only the command line makes an operator's account.
            let session = if operator {
                app.cli_member(Some(owner.org_id), &email, role).await
            } else {
                app.member(&owner, &email, role.as_str()).await
            };
            callers.push(Caller { role, session, scopes: None, operator });
        }
        let (key, _) = app.api_key(&owner, Some(vec!["audit:read"])).await;
        let session = Session { token: key, ..owner.clone() };
        let scopes = Some(vec![Permission::AuditRead]);
        callers.push(Caller { role: Role::Owner, session, scopes, operator: false });
        let own_query = succeeded_query(&app, &owner, &datasource).await;
        let own_datasource = datasource;

        let beta = app.signup("owner@beta.example", "Beta").await;
        let body = json!({ "name": "Beta's demo", "config": { "kind": "duckdb", "path": demo } });
        let datasource = id_of(app.post("/v1/datasources", Some(&beta.token), body).await, "id");
        let query = succeeded_query(&app, &beta, &datasource).await;
        let body = json!({ "name": "Beta's orders", "datasource_id": datasource, "sql": "SELECT 1" });
        let saved = id_of(app.post("/v1/saved", Some(&beta.token), body).await, "id");
        let (_, api_key) = app.api_key(&beta, None).await;
        let member = app.member(&beta, "analyst@beta.example", "analyst").await;
        let foreign = Foreign {
            org: beta.org_id,
            datasource,
            query,
            saved,
            api_key: api_key.to_string(),
            member: member.user_id.to_string(),
            failed_run: failed_run(&app, beta.org_id).await,
        };
        let own_failed_run = failed_run(&app, owner.org_id).await;
        World {
            app,
            _dir: dir,
            demo,
            owner,
            callers,
            datasource: own_datasource,
            query: own_query,
            failed_run: own_failed_run,
            foreign,
        }
    }

    /// The id a call by `caller` names: the foreign organisation's, or one of the caller's
    /// own (made afresh when the call may consume it).
    async fn id(&self, target: Target, caller: &Caller, foreign: bool) -> String {
        let app = &self.app;
        let owner = &self.owner.token;
        if foreign {
            let ids = &self.foreign;
            return match target {
                Target::Nothing => String::new(),
                Target::Organisation => ids.org.to_string(),
                Target::DataSource | Target::FreshDataSource => ids.datasource.clone(),
                Target::Query => ids.query.clone(),
                Target::FreshSavedQuestion => ids.saved.clone(),
                Target::FreshApiKey => ids.api_key.clone(),
                Target::FreshMember => ids.member.clone(),
                Target::FailedJobRun => ids.failed_run.clone(),
            };
        }
        let unique = Uuid::new_v4().simple().to_string();
        match target {
            Target::Nothing => String::new(),
            Target::Organisation => self.owner.org_id.to_string(),
            Target::DataSource => self.datasource.clone(),
            Target::Query => self.query.clone(),
            Target::FailedJobRun => self.failed_run.clone(),
            Target::FreshDataSource => {
                let body = json!({ "name": unique, "config": { "kind": "duckdb", "path": self.demo } });
                id_of(app.post("/v1/datasources", Some(owner), body).await.expect(StatusCode::CREATED), "id")
            }
            Target::FreshSavedQuestion => {
                let body = json!({ "name": unique, "datasource_id": self.datasource, "sql": "SELECT 1" });
                id_of(app.post("/v1/saved", Some(owner), body).await.expect(StatusCode::CREATED), "id")
            }
            Target::FreshApiKey => {
                let may_hold = caller.refusal(Access::Needs(Permission::ApiKeysManage)).is_none();
                let holder = if may_hold { &caller.session } else { &self.owner };
                app.api_key(holder, None).await.1.to_string()
            }
            Target::FreshMember => {
                let body = json!({ "email": format!("{unique}@acme.example"), "role": "viewer", "password": PASSWORD });
                let added = app.post("/v1/members", Some(owner), body).await.expect(StatusCode::CREATED);
                id_of(added, "user_id")
            }
        }
    }

    async fn send(&self, route: &Route, caller: &Session, id: String) -> Response {
        let call = Call {
            unique: format!("x{}", Uuid::new_v4().simple()),
            email: caller.email.clone(),
            demo: self.demo.clone(),
            id,
        };
        let path =
            route.path.replace("{id}", &call.id).replace("{user_id}", &call.id).replace("{name}", "schema_refresh");
        self.app.call(route.method.clone(), &path, Some(&caller.token), (route.body)(&call)).await
    }
}

/// The status and error code a call came to. An MCP tool's failure answers 200 with the
/// error inside; it counts as the status of its code.
fn outcome(response: &Response) -> (StatusCode, Option<String>) {
    let result = &response.body["result"];
    if response.status == StatusCode::OK && result["isError"] == true {
        let detail: Value = serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
        let code: ErrorCode = serde_json::from_value(detail["code"].clone()).unwrap();
        return (StatusCode::from_u16(code.status()).unwrap(), Some(code.as_str().to_owned()));
    }
    (response.status, response.body["error"]["code"].as_str().map(str::to_owned))
}

#[tokio::test]
async fn every_route_answers_each_caller_as_its_permission_says_and_hides_other_organisations() {
    let world = World::new().await;
    let app = &world.app;
    let table = routes();

    // The table covers the contract exactly: a new route must be added here to pass.
    let covered: BTreeSet<(String, String)> =
        table.iter().map(|r| (r.method.as_str().to_owned(), r.path.to_owned())).collect();
    let documented = documented_routes();
    let missing: Vec<_> = documented.difference(&covered).collect();
    let unknown: Vec<_> = covered.difference(&documented).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "not in the matrix: {missing:?}; not in openapi.json: {unknown:?}"
    );

    let beta_before = app.tenant_digest(world.foreign.org, true).await;
    let mut calls = 0;
    for route in &table {
        for caller in &world.callers {
            let refusal = caller.refusal(route.access).map(|code| (StatusCode::FORBIDDEN, Some(code.to_owned())));
            let label = format!("{} {} as {}", route.method, route.path, caller.label());

            let own = world.id(route.target, caller, false).await;
            let expected = refusal.clone().unwrap_or((route.ok, None));
            let response = expect(&world, route, &caller.session, own, &expected, &format!("{label}, own id")).await;
            calls += 1;
            if refusal.is_none() && route.path == "/mcp" {
                assert_eq!(response.body["result"]["isError"], false, "{label}: {}", response.body);
            }
            if route.target == Target::Nothing {
                continue;
            }
            // Another organisation's id, and one that exists nowhere, answer alike.
            let expected = refusal.unwrap_or((StatusCode::NOT_FOUND, Some("not_found".to_owned())));
            for (id, whose) in [
                (world.id(route.target, caller, true).await, "Beta's id"),
                (Uuid::new_v4().to_string(), "an unknown id"),
            ] {
                expect(&world, route, &caller.session, id, &expected, &format!("{label}, {whose}")).await;
                calls += 1;
            }
        }
    }
    assert_eq!(app.tenant_digest(world.foreign.org, true).await, beta_before, "Beta's data changed");
    eprintln!("route matrix: {} routes, {calls} calls", table.len());
}

/// Sends one call and checks its outcome; a refusal must carry a whole error body, leave
/// exactly one audit row in the caller's organisation, and change none of its data.
async fn expect(
    world: &World,
    route: &Route,
    caller: &Session,
    id: String,
    expected: &(StatusCode, Option<String>),
    label: &str,
) -> Response {
    let app = &world.app;
    let refused = expected.1.is_some();
    let acme = world.owner.org_id;
    let before = if refused { Some(app.tenant_digest(acme, false).await) } else { None };
    let response = world.send(route, caller, id).await;
    assert_eq!(&outcome(&response), expected, "{label}: {}", response.body);
    let Some(code) = &expected.1 else { return response };
    if route.path != "/mcp" {
        assert_eq!(response.body["error"]["request_id"], response.request_id(), "{label}");
        assert!(response.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{label}");
    }
    let rows = app.audit_of(&response).await;
    assert_eq!(rows.len(), 1, "{label}: {rows:?}");
    let outcome = if expected.0 == StatusCode::FORBIDDEN { "denied" } else { "error" };
    assert_eq!(
        (rows[0].outcome.as_str(), rows[0].error_code.as_deref(), rows[0].org_id, rows[0].actor_user_id),
        (outcome, Some(code.as_str()), Some(acme), Some(caller.user_id)),
        "{label}"
    );
    assert_eq!(before, Some(app.tenant_digest(acme, false).await), "{label} changed Acme's data");
    response
}
