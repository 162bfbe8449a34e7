"""Pydantic models of every request and response of the Kurobe API.

Each class (or type alias, for enumerations and unions) bears the name of its schema in
openapi.json; a test fails when a schema or a field exists on one side only. Responses ignore
fields they do not know, so an older SDK keeps working against a newer server; requests
refuse unknown fields, as the server does.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from .errors import KurobeError, make_error

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

# --- Enumerations ----------------------------------------------------------------------

AuditOutcome = Literal["success", "denied", "error"]
ChartKind = Literal["kpi", "line", "area", "bar", "stacked_bar", "pie", "scatter", "table"]
CredentialKind = Literal["session", "api_key"]
HealthStatus = Literal["unknown", "ok", "failing"]
Permission = Literal[
    "datasources:read",
    "datasources:manage",
    "queries:read",
    "queries:run",
    "api_keys:manage",
    "members:manage",
    "audit:read",
    "engines:manage",
    "organisation:manage",
]
Rating = Literal["up", "down"]
Role = Literal["viewer", "analyst", "admin", "owner"]
TableKind = Literal["table", "view"]
TrinoAuthKind = Literal["none", "basic", "jwt"]
ValueFormat = Literal["number", "integer", "currency", "percent"]
ErrorFamily = Literal[
    "invalid_request",
    "authentication",
    "permission",
    "not_found",
    "conflict",
    "rate_limit",
    "unavailable",
    "internal",
]
ErrorCode = Literal[
    "bad_request",
    "invalid_json",
    "validation_failed",
    "unsupported_media_type",
    "engines_invalid",
    "sql_refused",
    "query_failed",
    "cannot_answer",
    "unknown_engine",
    "engine_failed",
    "query_timeout",
    "payload_too_large",
    "method_not_allowed",
    "unauthenticated",
    "invalid_credentials",
    "invalid_token",
    "token_expired",
    "invalid_api_key",
    "api_key_revoked",
    "api_key_expired",
    "forbidden",
    "insufficient_scope",
    "not_found",
    "conflict",
    "email_taken",
    "datasource_unavailable",
    "rate_limited",
    "service_unavailable",
    "internal",
]


class Response(BaseModel):
    """A model the server sends."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Request(BaseModel):
    """A model the client sends; unknown fields are refused, as the server does."""

    model_config = ConfigDict(extra="forbid")


# --- Errors ------------------------------------------------------------------------------


class ErrorDetail(Response):
    code: str
    message: str
    request_id: str | None = None
    suggestions: list[str] = Field(default_factory=list[str])

    def exception(self, status: int | None = None) -> KurobeError:
        """The exception of this error's family."""
        return make_error(
            self.code, self.message, status=status, request_id=self.request_id, suggestions=self.suggestions
        )


class ErrorBody(Response):
    error: ErrorDetail


# --- Auth and organisation -------------------------------------------------------------------


class Organisation(Response):
    id: UUID
    name: str


class OrganisationDetails(Response):
    id: UUID
    name: str
    engines: dict[str, str]
    effective_engines: dict[str, str]
    rate_limit_per_minute: int | None = None


class User(Response):
    id: UUID
    email: str
    display_name: str | None = None


class Membership(Response):
    organisation: Organisation
    role: Role


class MeResponse(Response):
    user: User
    organisation: Organisation
    role: Role
    credential: CredentialKind
    permissions: list[Permission]
    memberships: list[Membership]
    operator: bool
    """Whether the user operates the server: only an operator reloads the engines file."""


class TokenResponse(Response):
    access_token: str
    token_type: str
    expires_in: int
    expires_at: datetime
    organisation: Organisation
    role: Role


class LoginRequest(Request):
    email: str
    password: str
    organisation_id: UUID | None = None


class SignupRequest(Request):
    email: str
    password: str
    organisation_name: str
    display_name: str | None = None


class SwitchOrganisationRequest(Request):
    organisation_id: UUID


class UpdateOrganisationRequest(Request):
    name: str | None = None
    engines: dict[str, str | None] | None = None
    rate_limit_per_minute: int | None = None


# --- Members and API keys --------------------------------------------------------------------


class Member(Response):
    user_id: UUID
    email: str
    role: Role
    joined_at: datetime
    attributes: dict[str, str]
    display_name: str | None = None


class AddMemberRequest(Request):
    email: str
    role: Role
    password: str | None = None
    display_name: str | None = None


class UpdateMemberRequest(Request):
    role: Role | None = None
    attributes: dict[str, str] | None = None


class ApiKey(Response):
    id: UUID
    name: str
    prefix: str
    scopes: list[Permission]
    created_by: UUID
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class CreatedApiKey(Response):
    key: str
    api_key: ApiKey


class CreateApiKeyRequest(Request):
    name: str
    scopes: list[Permission] | None = None
    expires_at: datetime | None = None


# --- Audit ------------------------------------------------------------------------------------


class AuditEntry(Response):
    id: UUID
    seq: int
    created_at: datetime
    action: str
    outcome: AuditOutcome
    details: Any
    actor_api_key_id: UUID | None = None
    actor_user_id: UUID | None = None
    error_code: str | None = None
    ip: str | None = None
    request_id: str | None = None
    target: str | None = None
    user_agent: str | None = None


class AuditPage(Response):
    items: list[AuditEntry]
    next_before: int | None = None


# --- Data sources ------------------------------------------------------------------------------


class PostgresConfig(Response):
    kind: Literal["postgres"] = "postgres"
    host: str
    database: str
    user: str
    port: int | None = None
    pool_size: int | None = None
    context_settings: dict[str, str] | None = None


class DuckDbConfig(Response):
    kind: Literal["duckdb"] = "duckdb"
    path: str


class TrinoConfig(Response):
    kind: Literal["trino"] = "trino"
    url: str
    user: str
    catalog: str
    schema_: str | None = Field(default=None, alias="schema")
    auth: TrinoAuthKind | None = None

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


DataSourceConfig = Annotated[Union[PostgresConfig, DuckDbConfig, TrinoConfig], Field(discriminator="kind")]  # noqa: UP007


class Credentials(Request):
    password: str | None = None
    token: str | None = None


class QueryLimits(Response):
    max_rows: int = 10_000
    timeout_seconds: int = 30
    cache_ttl_seconds: int = 300


class Health(Response):
    status: HealthStatus
    checked_at: datetime | None = None
    error: str | None = None
    latency_ms: float | None = None


class SchemaState(Response):
    generation: int
    tables: int
    refreshed_at: datetime | None = None


class DataSource(Response):
    id: UUID
    name: str
    config: DataSourceConfig
    has_credentials: bool
    limits: QueryLimits
    health: Health
    schema_: SchemaState = Field(alias="schema")
    created_at: datetime
    updated_at: datetime


class CreateDataSourceRequest(Request):
    name: str
    config: DataSourceConfig
    credentials: Credentials | None = None
    limits: QueryLimits | None = None


class UpdateDataSourceRequest(Request):
    name: str | None = None
    config: DataSourceConfig | None = None
    credentials: Credentials | None = None
    limits: QueryLimits | None = None


class ConnectionTest(Response):
    ok: bool
    latency_ms: float
    error: str | None = None
    version: str | None = None


class DataType(Response):
    """The logical type of a column: ``kind`` with ``bits`` (integer), ``precision`` and
    ``scale`` (decimal) or ``element`` (array)."""

    kind: Literal[
        "boolean",
        "integer",
        "float",
        "decimal",
        "text",
        "date",
        "time",
        "timestamp",
        "timestamp_tz",
        "interval",
        "json",
        "uuid",
        "binary",
        "array",
        "other",
    ]
    bits: int | None = None
    precision: int | None = None
    scale: int | None = None
    element: DataType | None = None


class ColumnInfo(Response):
    name: str
    data_type: DataType
    native_type: str
    nullable: bool
    comment: str | None = None
    sample_values: list[str] | None = None


class ForeignKey(Response):
    columns: list[str]
    referenced_schema: str
    referenced_table: str
    referenced_columns: list[str]


class Table(Response):
    schema_: str = Field(alias="schema")
    name: str
    kind: TableKind
    columns: list[ColumnInfo]
    primary_key: list[str]
    foreign_keys: list[ForeignKey]
    comment: str | None = None
    row_estimate: int | None = None


class Schema(Response):
    tables: list[Table]


class DataSourceSchema(Response):
    generation: int
    schema_: Schema = Field(alias="schema")


class RowPolicy(Request):
    table: str
    roles: list[Role]
    predicate: str


class RowPolicies(Request):
    policies: list[RowPolicy]


# --- Queries ----------------------------------------------------------------------------------


class AskRequest(Request):
    datasource_id: UUID
    question: str
    engine: str | None = None


class SqlRequest(Request):
    datasource_id: UUID
    sql: str


class SemanticQueryRequest(Request):
    datasource_id: UUID
    query: dict[str, Any]


class Column(Response):
    name: str
    data_type: DataType
    native_type: str


class CacheInfo(Response):
    hit: bool
    age_seconds: float


class ChartSpec(Response):
    kind: ChartKind
    x: str | None = None
    y: list[str] = Field(default_factory=list[str])
    series: str | None = None
    format: ValueFormat | None = None


class Generation(Response):
    engine: str
    input_tokens: int
    output_tokens: int
    corrected: bool
    failed_engines: list[str]
    confidence: float | None = None
    cost_usd: float | None = None
    interpretation: str | None = None
    model: str | None = None


class Timings(Response):
    context_ms: float
    generate_ms: float
    guard_ms: float
    cache_ms: float
    execute_ms: float
    chart_ms: float
    total_ms: float


class QueryResponse(Response):
    """An answer: the SQL that ran, its columns and rows, the chart, cache and timings."""

    query_id: UUID
    datasource_id: UUID
    sql: str
    columns: list[Column]
    rows: list[list[Any]]
    row_count: int
    truncated: bool
    chart: ChartSpec
    cache: CacheInfo
    timings: Timings
    question: str | None = None
    explanation: str | None = None
    generation: Generation | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def records(self) -> list[dict[str, Any]]:
        """The rows as dictionaries keyed by column name."""
        names = self.column_names
        return [dict(zip(names, row, strict=False)) for row in self.rows]

    def to_arrow(self) -> pa.Table:
        """The result as a ``pyarrow.Table`` with types from the columns' logical types
        (decimals exact). Needs ``pip install 'kurobe[arrow]'``."""
        from ._frames import to_arrow

        return to_arrow(self.columns, self.rows)

    def to_pandas(self) -> pd.DataFrame:
        """The result as a ``pandas.DataFrame`` (decimals as ``decimal.Decimal``, dates and
        timestamps as datetimes). Needs ``pip install 'kurobe[pandas]'``."""
        from ._frames import to_pandas

        return to_pandas(self.columns, self.rows)


class QueryRecord(Response):
    id: UUID
    status: str
    created_at: datetime
    api_key_id: UUID | None = None
    datasource_id: UUID | None = None
    duration_ms: float | None = None
    error_code: str | None = None
    question: str | None = None
    row_count: int | None = None
    sql: str | None = None
    user_id: UUID | None = None


class QueryPage(Response):
    items: list[QueryRecord]
    next_before: UUID | None = None


class FeedbackRequest(Request):
    rating: Rating
    comment: str | None = None


class SaveQuestionRequest(Request):
    name: str
    datasource_id: UUID
    sql: str
    question: str | None = None


class SavedQuestion(Response):
    id: UUID
    name: str
    datasource_id: UUID
    sql: str
    created_at: datetime
    pinned: bool
    created_by: UUID | None = None
    question: str | None = None
    pinned_by: UUID | None = None
    pinned_at: datetime | None = None


# --- Streamed answers ---------------------------------------------------------------------------


class ContextEvent(Response):
    """The tables schema linking chose for the question."""

    event: Literal["context"] = "context"
    tables: list[str]


class SqlEvent(Response):
    """The SQL the guard accepted."""

    event: Literal["sql"] = "sql"
    sql: str
    engine: str | None = None
    explanation: str | None = None


class ExecutingEvent(Response):
    """The query is running (or being read from the cache)."""

    event: Literal["executing"] = "executing"


class ResultEvent(Response):
    event: Literal["result"] = "result"
    columns: list[Column]
    row_count: int
    truncated: bool
    cache: CacheInfo


class ChartEvent(Response):
    event: Literal["chart"] = "chart"
    chart: ChartSpec


class DoneEvent(Response):
    """The whole answer, as the JSON response would carry it; the last event of a stream."""

    event: Literal["done"] = "done"
    answer: QueryResponse


class ErrorEvent(Response):
    """The stream failed; the last event of a stream. ``exception()`` gives what the JSON
    request would have raised."""

    event: Literal["error"] = "error"
    error: ErrorDetail

    def exception(self) -> KurobeError:
        return self.error.exception()


StreamEvent = Annotated[
    Union[ContextEvent, SqlEvent, ExecutingEvent, ResultEvent, ChartEvent, DoneEvent, ErrorEvent],  # noqa: UP007
    Field(discriminator="event"),
]


# --- Engines and health -----------------------------------------------------------------------


class EngineInfo(Response):
    name: str
    provider: str
    available: bool
    model: str | None = None
    unavailable_reason: str | None = None


class EngineSection(Response):
    kind: str
    default: str
    fallback: list[str]
    engines: list[EngineInfo]


class ReloadError(Response):
    message: str
    at: datetime


class EnginesStatus(Response):
    version: int
    loaded_at: datetime
    reload_failures: int
    sections: list[EngineSection]
    file: str | None = None
    """Shown to the server's operators only."""
    last_error: ReloadError | None = None
    """Shown to the server's operators only."""


class ReloadResult(Response):
    outcome: str
    status: EnginesStatus


JobScope = Literal["organisation", "system"]
JobTrigger = Literal["schedule", "manual", "retry"]
JobRunState = Literal["queued", "running", "retrying", "succeeded", "failed"]


class JobInfo(Response):
    name: str
    description: str
    scope: JobScope
    timezone: str
    enabled: bool
    schedule: str | None = None
    disabled_reason: str | None = None
    next_run_at: datetime | None = None


class JobRun(Response):
    id: UUID
    job: str
    trigger: JobTrigger
    state: JobRunState
    attempts: int
    max_attempts: int
    created_at: datetime
    last_error: str | None = None
    result: dict[str, Any] | None = None
    requested_by: UUID | None = None
    retry_of: UUID | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class JobsStatus(Response):
    runner: bool
    jobs: list[JobInfo]
    runs: list[JobRun]


class DependencyStatus(Response):
    status: str
    error: str | None = None
    latency_ms: float | None = None


class Readiness(Response):
    ready: bool
    postgres: DependencyStatus
    redis: DependencyStatus


__all__ = [
    "AddMemberRequest",
    "ApiKey",
    "AskRequest",
    "AuditEntry",
    "AuditOutcome",
    "AuditPage",
    "CacheInfo",
    "ChartEvent",
    "ChartKind",
    "ChartSpec",
    "Column",
    "ColumnInfo",
    "ConnectionTest",
    "ContextEvent",
    "CreateApiKeyRequest",
    "CreateDataSourceRequest",
    "CreatedApiKey",
    "CredentialKind",
    "Credentials",
    "DataSource",
    "DataSourceConfig",
    "DataSourceSchema",
    "DataType",
    "DependencyStatus",
    "DoneEvent",
    "DuckDbConfig",
    "EngineInfo",
    "EngineSection",
    "EnginesStatus",
    "ErrorBody",
    "ErrorCode",
    "ErrorDetail",
    "ErrorEvent",
    "ErrorFamily",
    "ExecutingEvent",
    "FeedbackRequest",
    "ForeignKey",
    "Generation",
    "Health",
    "HealthStatus",
    "LoginRequest",
    "MeResponse",
    "Member",
    "Membership",
    "Organisation",
    "OrganisationDetails",
    "Permission",
    "PostgresConfig",
    "QueryLimits",
    "QueryPage",
    "QueryRecord",
    "QueryResponse",
    "Rating",
    "Readiness",
    "ReloadError",
    "ReloadResult",
    "ResultEvent",
    "Role",
    "RowPolicies",
    "RowPolicy",
    "SaveQuestionRequest",
    "SavedQuestion",
    "Schema",
    "SchemaState",
    "SemanticQueryRequest",
    "SignupRequest",
    "SqlEvent",
    "SqlRequest",
    "StreamEvent",
    "SwitchOrganisationRequest",
    "Table",
    "TableKind",
    "Timings",
    "TokenResponse",
    "TrinoAuthKind",
    "TrinoConfig",
    "UpdateDataSourceRequest",
    "UpdateMemberRequest",
    "UpdateOrganisationRequest",
    "User",
    "ValueFormat",
]
