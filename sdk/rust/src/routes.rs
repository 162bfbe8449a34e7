//! One method per route of the API, grouped as the API's tags are.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use kurobe_api::{
    api_keys::{ApiKey, CreateApiKeyRequest, CreatedApiKey},
    audit::{AuditPage, AuditQuery},
    auth::{LoginRequest, MeResponse, SignupRequest, SwitchOrganisationRequest, TokenResponse},
    datasources::{
        ConnectionTest, CreateDataSourceRequest, DataSource, DataSourceSchema, RowPolicies, UpdateDataSourceRequest,
    },
    engines::{EnginesStatus, ReloadResult},
    health::Readiness,
    jobs::{JobRun, JobsStatus},
    members::{AddMemberRequest, Member, UpdateMemberRequest},
    organisation::{OrganisationDetails, UpdateOrganisationRequest},
    queries::{
        AskRequest, FeedbackRequest, HistoryQuery, QueryPage, QueryRecord, QueryResponse, Rating, SaveQuestionRequest,
        SavedQuestion, SemanticQueryRequest, SqlRequest, StreamEvent,
    },
};
use reqwest::Method;
use uuid::Uuid;

use crate::{Client, Error, sse};

/// The stage events of a streamed answer.
pub type EventStream = std::pin::Pin<Box<dyn Stream<Item = Result<StreamEvent, Error>> + Send>>;
/// The chunks of a streamed download.
pub type ByteStream = std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send>>;

/// No body.
const NONE: Option<&()> = None;

impl Client {
    // ---- Questions and SQL -------------------------------------------------------------

    /// Asks a question in plain language; the organisation's text-to-SQL engine answers.
    pub async fn ask(&self, datasource_id: Uuid, question: &str) -> Result<QueryResponse, Error> {
        self.ask_with(&AskRequest { datasource_id, question: question.into(), engine: None }).await
    }

    /// Asks with every option of the request (an engine of the registry by name).
    pub async fn ask_with(&self, request: &AskRequest) -> Result<QueryResponse, Error> {
        self.call(Method::POST, "v1/query", Some(request)).await
    }

    /// Asks, receiving the stages (context, sql, executing, result, chart) as they happen,
    /// then `done` with the whole answer or `error`.
    pub async fn ask_stream(&self, datasource_id: Uuid, question: &str) -> Result<EventStream, Error> {
        let request = AskRequest { datasource_id, question: question.into(), engine: None };
        let response = self.open(Method::POST, "v1/query", "text/event-stream", Some(&request)).await?;
        Ok(Box::pin(sse::events(response)))
    }

    /// Runs SQL through the guard, the cache, the history and the audit log.
    pub async fn sql(&self, datasource_id: Uuid, sql: &str) -> Result<QueryResponse, Error> {
        self.call(Method::POST, "v1/sql", Some(&SqlRequest { datasource_id, sql: sql.into() })).await
    }

    /// Asks the data source's semantic model: `query` is the semantic query's JSON
    /// (measures, dimensions, filters, time_dimension, order, limit).
    pub async fn semantic_query(&self, datasource_id: Uuid, query: serde_json::Value) -> Result<QueryResponse, Error> {
        self.call(Method::POST, "v1/semantic/query", Some(&SemanticQueryRequest { datasource_id, query })).await
    }

    // ---- History ------------------------------------------------------------------------

    /// The history, newest first, filtered; page with `before = page.next_before`.
    pub async fn queries(&self, filter: &HistoryQuery) -> Result<QueryPage, Error> {
        self.get_with("v1/queries", filter).await
    }

    pub async fn query(&self, id: Uuid) -> Result<QueryRecord, Error> {
        self.call(Method::GET, &format!("v1/queries/{id}"), NONE).await
    }

    /// Runs a query of the history again, as a new entry.
    pub async fn rerun(&self, id: Uuid) -> Result<QueryResponse, Error> {
        self.call(Method::POST, &format!("v1/queries/{id}/rerun"), NONE).await
    }

    /// The result of a query as CSV, read again from the warehouse and streamed.
    pub async fn export_csv(&self, id: Uuid) -> Result<ByteStream, Error> {
        let response = self.open(Method::GET, &format!("v1/queries/{id}/result.csv"), "text/csv", NONE).await?;
        Ok(Box::pin(response.bytes_stream().map(|chunk| chunk.map_err(Error::Transport))))
    }

    /// Rates an answer; an upvoted question becomes an example the engines are shown.
    pub async fn feedback(&self, id: Uuid, rating: Rating, comment: Option<&str>) -> Result<(), Error> {
        let request = FeedbackRequest { rating, comment: comment.map(str::to_owned) };
        self.call(Method::POST, &format!("v1/queries/{id}/feedback"), Some(&request)).await
    }

    // ---- Saved questions ----------------------------------------------------------------

    pub async fn saved(&self) -> Result<Vec<SavedQuestion>, Error> {
        self.call(Method::GET, "v1/saved", NONE).await
    }

    pub async fn save(&self, request: &SaveQuestionRequest) -> Result<SavedQuestion, Error> {
        self.call(Method::POST, "v1/saved", Some(request)).await
    }

    pub async fn delete_saved(&self, id: Uuid) -> Result<(), Error> {
        self.call(Method::DELETE, &format!("v1/saved/{id}"), NONE).await
    }

    /// Keeps the question's result warm in the cache; the warming job runs it as the caller.
    pub async fn pin_saved(&self, id: Uuid) -> Result<SavedQuestion, Error> {
        self.call(Method::PUT, &format!("v1/saved/{id}/pin"), NONE).await
    }

    pub async fn unpin_saved(&self, id: Uuid) -> Result<SavedQuestion, Error> {
        self.call(Method::DELETE, &format!("v1/saved/{id}/pin"), NONE).await
    }

    // ---- Data sources -------------------------------------------------------------------

    pub async fn datasources(&self) -> Result<Vec<DataSource>, Error> {
        self.call(Method::GET, "v1/datasources", NONE).await
    }

    pub async fn datasource(&self, id: Uuid) -> Result<DataSource, Error> {
        self.call(Method::GET, &format!("v1/datasources/{id}"), NONE).await
    }

    pub async fn create_datasource(&self, request: &CreateDataSourceRequest) -> Result<DataSource, Error> {
        self.call(Method::POST, "v1/datasources", Some(request)).await
    }

    pub async fn update_datasource(&self, id: Uuid, request: &UpdateDataSourceRequest) -> Result<DataSource, Error> {
        self.call(Method::PATCH, &format!("v1/datasources/{id}"), Some(request)).await
    }

    pub async fn delete_datasource(&self, id: Uuid) -> Result<(), Error> {
        self.call(Method::DELETE, &format!("v1/datasources/{id}"), NONE).await
    }

    /// Connects and runs a trivial query; the outcome is data, not an error.
    pub async fn test_datasource(&self, id: Uuid) -> Result<ConnectionTest, Error> {
        self.call(Method::POST, &format!("v1/datasources/{id}/test"), NONE).await
    }

    pub async fn schema(&self, id: Uuid) -> Result<DataSourceSchema, Error> {
        self.call(Method::GET, &format!("v1/datasources/{id}/schema"), NONE).await
    }

    /// Introspects again; results cached under the old schema are no longer served.
    pub async fn refresh(&self, id: Uuid) -> Result<DataSourceSchema, Error> {
        self.call(Method::POST, &format!("v1/datasources/{id}/refresh"), NONE).await
    }

    pub async fn policies(&self, id: Uuid) -> Result<RowPolicies, Error> {
        self.call(Method::GET, &format!("v1/datasources/{id}/policies"), NONE).await
    }

    pub async fn set_policies(&self, id: Uuid, policies: &RowPolicies) -> Result<RowPolicies, Error> {
        self.call(Method::PUT, &format!("v1/datasources/{id}/policies"), Some(policies)).await
    }

    // ---- API keys, members, the organisation, the audit log -----------------------------

    pub async fn api_keys(&self) -> Result<Vec<ApiKey>, Error> {
        self.call(Method::GET, "v1/api-keys", NONE).await
    }

    /// Creates a key; its secret is in the answer and nowhere else, ever.
    pub async fn create_api_key(&self, request: &CreateApiKeyRequest) -> Result<CreatedApiKey, Error> {
        self.call(Method::POST, "v1/api-keys", Some(request)).await
    }

    pub async fn revoke_api_key(&self, id: Uuid) -> Result<ApiKey, Error> {
        self.call(Method::DELETE, &format!("v1/api-keys/{id}"), NONE).await
    }

    pub async fn members(&self) -> Result<Vec<Member>, Error> {
        self.call(Method::GET, "v1/members", NONE).await
    }

    pub async fn add_member(&self, request: &AddMemberRequest) -> Result<Member, Error> {
        self.call(Method::POST, "v1/members", Some(request)).await
    }

    pub async fn update_member(&self, user_id: Uuid, request: &UpdateMemberRequest) -> Result<Member, Error> {
        self.call(Method::PATCH, &format!("v1/members/{user_id}"), Some(request)).await
    }

    pub async fn remove_member(&self, user_id: Uuid) -> Result<(), Error> {
        self.call(Method::DELETE, &format!("v1/members/{user_id}"), NONE).await
    }

    pub async fn organisation(&self) -> Result<OrganisationDetails, Error> {
        self.call(Method::GET, "v1/organisation", NONE).await
    }

    pub async fn update_organisation(&self, request: &UpdateOrganisationRequest) -> Result<OrganisationDetails, Error> {
        self.call(Method::PATCH, "v1/organisation", Some(request)).await
    }

    /// The audit log, newest first, filtered; page with `before = page.next_before`.
    pub async fn audit(&self, filter: &AuditQuery) -> Result<AuditPage, Error> {
        self.get_with("v1/audit", filter).await
    }

    // ---- Accounts -----------------------------------------------------------------------

    /// Signs in with an email and a password; the client acts with the session's token.
    pub async fn login(base_url: &str, email: &str, password: &str) -> Result<(Client, TokenResponse), Error> {
        let anonymous = Client::new(base_url, String::new())?;
        let request = LoginRequest { email: email.into(), password: password.into(), organisation_id: None };
        let token: TokenResponse = anonymous.call(Method::POST, "v1/auth/login", Some(&request)).await?;
        Ok((anonymous.with_token(token.access_token.clone()), token))
    }

    /// Creates an account and its organisation (when the server allows sign-up).
    pub async fn signup(base_url: &str, request: &SignupRequest) -> Result<(Client, TokenResponse), Error> {
        let anonymous = Client::new(base_url, String::new())?;
        let token: TokenResponse = anonymous.call(Method::POST, "v1/auth/signup", Some(request)).await?;
        Ok((anonymous.with_token(token.access_token.clone()), token))
    }

    pub async fn me(&self) -> Result<MeResponse, Error> {
        self.call(Method::GET, "v1/auth/me", NONE).await
    }

    /// A token for another organisation the user belongs to, and a client acting with it.
    pub async fn switch_organisation(&self, organisation_id: Uuid) -> Result<(Client, TokenResponse), Error> {
        let request = SwitchOrganisationRequest { organisation_id };
        let token: TokenResponse = self.call(Method::POST, "v1/auth/switch", Some(&request)).await?;
        Ok((self.with_token(token.access_token.clone()), token))
    }

    // ---- Operations ---------------------------------------------------------------------

    pub async fn engines(&self) -> Result<EnginesStatus, Error> {
        self.call(Method::GET, "v1/admin/engines", NONE).await
    }

    /// Reads the engines file again; for the server's operators (`security.operators`).
    pub async fn reload_engines(&self) -> Result<ReloadResult, Error> {
        self.call(Method::POST, "v1/admin/engines/reload", NONE).await
    }

    /// The background jobs and the organisation's runs.
    pub async fn jobs(&self) -> Result<JobsStatus, Error> {
        self.call(Method::GET, "v1/admin/jobs", NONE).await
    }

    /// Queues a run of an organisation job (`schema_refresh`, `cache_warm`) now.
    pub async fn run_job(&self, name: &str) -> Result<JobRun, Error> {
        self.call(Method::POST, &format!("v1/admin/jobs/{name}/run"), NONE).await
    }

    /// Queues a new run of a failed run's job.
    pub async fn retry_job_run(&self, id: Uuid) -> Result<JobRun, Error> {
        self.call(Method::POST, &format!("v1/admin/jobs/runs/{id}/retry"), NONE).await
    }

    /// Whether the server process answers (no credential needed).
    pub async fn live(&self) -> Result<(), Error> {
        self.open(Method::GET, "healthz", "application/json", NONE).await.map(drop)
    }

    /// Whether the server and its dependencies answer (no credential needed).
    pub async fn ready(&self) -> Result<Readiness, Error> {
        let response = self.open(Method::GET, "readyz", "application/json", NONE).await;
        match response {
            Ok(response) => Ok(response.json().await?),
            // Not ready is a 503 whose body is still the readiness report.
            Err(Error::Unexpected { status: 503, detail }) => {
                serde_json::from_str(&detail).map_err(|e| Error::Unexpected { status: 503, detail: e.to_string() })
            }
            Err(error) => Err(error),
        }
    }
}
