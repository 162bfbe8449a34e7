"""Every operation of the API as a ``Call``: what to send and how to read the answer. The sync
and async clients only run these, so the two cannot disagree on a route or a field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from ._core import Call, Id, R, call, no_content, parse_as, query_call, text
from .models import (
    AddMemberRequest,
    ApiKey,
    AskRequest,
    AuditOutcome,
    AuditPage,
    ConnectionTest,
    CreateApiKeyRequest,
    CreatedApiKey,
    CreateDataSourceRequest,
    Credentials,
    DataSource,
    DataSourceConfig,
    DataSourceSchema,
    EnginesStatus,
    FeedbackRequest,
    JobRun,
    JobsStatus,
    LoginRequest,
    Member,
    MeResponse,
    OrganisationDetails,
    Permission,
    QueryLimits,
    QueryPage,
    QueryRecord,
    QueryResponse,
    Rating,
    Readiness,
    ReloadResult,
    Role,
    RowPolicies,
    RowPolicy,
    SavedQuestion,
    SaveQuestionRequest,
    SemanticQueryRequest,
    SignupRequest,
    SqlRequest,
    SwitchOrganisationRequest,
    TokenResponse,
    UpdateDataSourceRequest,
    UpdateMemberRequest,
    UpdateOrganisationRequest,
)

_answer = parse_as(QueryResponse)
_token = parse_as(TokenResponse)
_datasource = parse_as(DataSource)
_schema = parse_as(DataSourceSchema)
_policies = parse_as(RowPolicies)
_member = parse_as(Member)
_organisation = parse_as(OrganisationDetails)


def _uuid(value: Id) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)


def healthz() -> Call[str]:
    return text("healthz")


def readyz() -> Call[Readiness]:
    # 503 carries the same body, saying which dependency is down.
    return Call(R["readyz"], parse_as(Readiness), ok_statuses=frozenset({503}))


# --- Questions and SQL ---------------------------------------------------------------------------


def ask(datasource_id: Id, question: str, engine: str | None) -> Call[QueryResponse]:
    body = AskRequest(datasource_id=_uuid(datasource_id), question=question, engine=engine)
    return call("ask", _answer, body=body)


def sql(datasource_id: Id, sql: str) -> Call[QueryResponse]:
    return call("sql", _answer, body=SqlRequest(datasource_id=_uuid(datasource_id), sql=sql))


def semantic_query(datasource_id: Id, query: Mapping[str, Any]) -> Call[QueryResponse]:
    body = SemanticQueryRequest(datasource_id=_uuid(datasource_id), query=dict(query))
    return call("semantic", _answer, body=body)


# --- History and saved questions ----------------------------------------------------------------


def queries_list(
    datasource_id: Id | None,
    status: str | None,
    user_id: Id | None,
    q: str | None,
    before: Id | None,
    limit: int | None,
) -> Call[QueryPage]:
    return query_call(
        "queries_list",
        parse_as(QueryPage),
        datasource_id=datasource_id,
        status=status,
        user_id=user_id,
        q=q,
        before=before,
        limit=limit,
    )


def queries_get(query_id: Id) -> Call[QueryRecord]:
    return call("queries_get", parse_as(QueryRecord), id=query_id)


def queries_rerun(query_id: Id) -> Call[QueryResponse]:
    return call("queries_rerun", _answer, id=query_id)


def queries_feedback(query_id: Id, rating: Rating, comment: str | None) -> Call[None]:
    return no_content("queries_feedback", body=FeedbackRequest(rating=rating, comment=comment), id=query_id)


def queries_csv(query_id: Id) -> Call[None]:
    return no_content("queries_csv", id=query_id)


def saved_list() -> Call[list[SavedQuestion]]:
    return call("saved_list", parse_as(list[SavedQuestion]))


def saved_create(name: str, datasource_id: Id, sql: str, question: str | None) -> Call[SavedQuestion]:
    body = SaveQuestionRequest(name=name, datasource_id=_uuid(datasource_id), sql=sql, question=question)
    return call("saved_create", parse_as(SavedQuestion), body=body)


def saved_delete(saved_id: Id) -> Call[None]:
    return no_content("saved_delete", id=saved_id)


def saved_pin(saved_id: Id) -> Call[SavedQuestion]:
    return call("saved_pin", parse_as(SavedQuestion), id=saved_id)


def saved_unpin(saved_id: Id) -> Call[SavedQuestion]:
    return call("saved_unpin", parse_as(SavedQuestion), id=saved_id)


# --- Data sources -------------------------------------------------------------------------------


def datasources_list() -> Call[list[DataSource]]:
    return call("datasources_list", parse_as(list[DataSource]))


def datasources_get(datasource_id: Id) -> Call[DataSource]:
    return call("datasources_get", _datasource, id=datasource_id)


def datasources_create(
    name: str, config: DataSourceConfig, credentials: Credentials | None, limits: QueryLimits | None
) -> Call[DataSource]:
    body = CreateDataSourceRequest(name=name, config=config, credentials=credentials, limits=limits)
    return call("datasources_create", _datasource, body=body)


def datasources_update(
    datasource_id: Id,
    name: str | None,
    config: DataSourceConfig | None,
    credentials: Credentials | None,
    limits: QueryLimits | None,
) -> Call[DataSource]:
    body = UpdateDataSourceRequest(name=name, config=config, credentials=credentials, limits=limits)
    return call("datasources_update", _datasource, body=body, id=datasource_id)


def datasources_delete(datasource_id: Id) -> Call[None]:
    return no_content("datasources_delete", id=datasource_id)


def datasources_test(datasource_id: Id) -> Call[ConnectionTest]:
    return call("datasources_test", parse_as(ConnectionTest), id=datasource_id)


def datasources_schema(datasource_id: Id) -> Call[DataSourceSchema]:
    return call("datasources_schema", _schema, id=datasource_id)


def datasources_refresh(datasource_id: Id) -> Call[DataSourceSchema]:
    return call("datasources_refresh", _schema, id=datasource_id)


def policies_get(datasource_id: Id) -> Call[RowPolicies]:
    return call("policies_get", _policies, id=datasource_id)


def policies_set(datasource_id: Id, policies: Sequence[RowPolicy]) -> Call[RowPolicies]:
    return call("policies_set", _policies, body=RowPolicies(policies=list(policies)), id=datasource_id)


# --- Organisation, members, keys, audit, engines --------------------------------------------------


def login(email: str, password: str, organisation_id: Id | None) -> Call[TokenResponse]:
    org = None if organisation_id is None else _uuid(organisation_id)
    return call("login", _token, body=LoginRequest(email=email, password=password, organisation_id=org))


def signup(
    email: str, password: str, organisation_name: str, display_name: str | None
) -> Call[TokenResponse]:
    body = SignupRequest(
        email=email, password=password, organisation_name=organisation_name, display_name=display_name
    )
    return call("signup", _token, body=body)


def me() -> Call[MeResponse]:
    return call("me", parse_as(MeResponse))


def switch(organisation_id: Id) -> Call[TokenResponse]:
    return call("switch", _token, body=SwitchOrganisationRequest(organisation_id=_uuid(organisation_id)))


def organisation_get() -> Call[OrganisationDetails]:
    return call("organisation_get", _organisation)


def organisation_update(
    name: str | None, engines: Mapping[str, str | None] | None, rate_limit_per_minute: int | None
) -> Call[OrganisationDetails]:
    body = UpdateOrganisationRequest(
        name=name,
        engines=None if engines is None else dict(engines),
        rate_limit_per_minute=rate_limit_per_minute,
    )
    return call("organisation_update", _organisation, body=body)


def members_list() -> Call[list[Member]]:
    return call("members_list", parse_as(list[Member]))


def members_add(email: str, role: Role, password: str | None, display_name: str | None) -> Call[Member]:
    body = AddMemberRequest(email=email, role=role, password=password, display_name=display_name)
    return call("members_add", _member, body=body)


def members_update(user_id: Id, role: Role | None, attributes: Mapping[str, str] | None) -> Call[Member]:
    body = UpdateMemberRequest(role=role, attributes=None if attributes is None else dict(attributes))
    return call("members_update", _member, body=body, user_id=user_id)


def members_remove(user_id: Id) -> Call[None]:
    return no_content("members_remove", user_id=user_id)


def api_keys_list() -> Call[list[ApiKey]]:
    return call("api_keys_list", parse_as(list[ApiKey]))


def api_keys_create(
    name: str, scopes: Sequence[Permission] | None, expires_at: datetime | None
) -> Call[CreatedApiKey]:
    body = CreateApiKeyRequest(
        name=name, scopes=None if scopes is None else list(scopes), expires_at=expires_at
    )
    return call("api_keys_create", parse_as(CreatedApiKey), body=body)


def api_keys_revoke(key_id: Id) -> Call[ApiKey]:
    return call("api_keys_revoke", parse_as(ApiKey), id=key_id)


def audit(
    action: str | None,
    outcome: AuditOutcome | None,
    actor_user_id: Id | None,
    since: datetime | None,
    until: datetime | None,
    before: int | None,
    limit: int | None,
) -> Call[AuditPage]:
    return query_call(
        "audit",
        parse_as(AuditPage),
        action=action,
        outcome=outcome,
        actor_user_id=actor_user_id,
        since=since,
        until=until,
        before=before,
        limit=limit,
    )


def engines() -> Call[EnginesStatus]:
    return call("engines", parse_as(EnginesStatus))


def engines_reload() -> Call[ReloadResult]:
    return call("engines_reload", parse_as(ReloadResult))


def jobs() -> Call[JobsStatus]:
    return call("jobs", parse_as(JobsStatus))


def jobs_run(name: str) -> Call[JobRun]:
    # The path parameter shares its name with `call`'s first argument.
    return Call(R["jobs_run"], parse_as(JobRun), path={"name": name})


def jobs_retry(run_id: Id) -> Call[JobRun]:
    return call("jobs_retry", parse_as(JobRun), id=run_id)
