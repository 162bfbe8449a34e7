"""The synchronous client."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import IO, Any, TypeVar

import httpx

from . import _calls as c
from ._core import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    Call,
    Id,
    SseDecoder,
    build_request,
    error_from,
    finish,
    retry_delay,
    settings,
)
from .models import (
    ApiKey,
    AuditEntry,
    AuditOutcome,
    AuditPage,
    ConnectionTest,
    CreatedApiKey,
    Credentials,
    DataSource,
    DataSourceConfig,
    DataSourceSchema,
    EnginesStatus,
    JobRun,
    JobsStatus,
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
    StreamEvent,
    TokenResponse,
)

T = TypeVar("T")


class Kurobe:
    """A client of the Kurobe API.

    ``api_key`` is an API key (``kb_...``) or an access token from ``auth.login``; it defaults
    to ``KUROBE_API_KEY``. ``base_url`` defaults to ``KUROBE_BASE_URL``, then
    ``http://127.0.0.1:8000``. A 429 answer is retried up to ``max_retries`` times, waiting what
    its ``Retry-After`` asks (up to a minute). Errors raise the ``KurobeError`` subclass of their
    family. Use it as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        config = settings(api_key, base_url)
        self.base_url = config.base_url
        self.max_retries = max_retries
        self._options: dict[str, Any] = {
            "timeout": timeout,
            "max_retries": max_retries,
            "transport": transport,
        }
        self._http = httpx.Client(
            base_url=config.base_url, headers=config.headers, timeout=timeout, transport=transport
        )
        self.auth = Auth(self)
        self.organisation = Organisation(self)
        self.datasources = DataSources(self)
        self.queries = Queries(self)
        self.saved = Saved(self)
        self.api_keys = ApiKeys(self)
        self.members = Members(self)
        self.audit = Audit(self)
        self.engines = Engines(self)
        self.jobs = Jobs(self)

    def with_credential(self, api_key: str) -> Kurobe:
        """A client of the same server and options with another key or access token."""
        return Kurobe(api_key, base_url=self.base_url, **self._options)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Kurobe:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- Plumbing ---------------------------------------------------------------------------------

    def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        attempt = 0
        while True:
            response = self._http.send(request, stream=stream)
            delay = retry_delay(response, attempt, self.max_retries)
            if delay is None:
                return response
            response.close()
            time.sleep(delay)
            attempt += 1

    def _run(self, spec: Call[T]) -> T:
        return finish(self._send(build_request(self._http, spec)), spec)

    def _open(self, spec: Call[Any], *, stream: bool = False) -> httpx.Response:
        """A streamed response whose status is a success; the caller closes it."""
        response = self._send(build_request(self._http, spec, stream=stream), stream=True)
        if response.is_error:
            response.read()
            response.close()
            raise error_from(response)
        return response

    def _events(self, spec: Call[Any]) -> Iterator[StreamEvent]:
        response = self._open(spec, stream=True)
        try:
            decoder = SseDecoder()
            for line in response.iter_lines():
                event = decoder.line(line)
                if event is not None:
                    yield event
            last = decoder.line("")
            if last is not None:
                yield last
        finally:
            response.close()

    # --- Questions and SQL --------------------------------------------------------------------------

    def ask(self, datasource_id: Id, question: str, *, engine: str | None = None) -> QueryResponse:
        """Asks a question in plain language; raises ``InvalidRequestError`` with code
        ``cannot_answer`` and ``suggestions`` when the engine is not sure."""
        return self._run(c.ask(datasource_id, question, engine))

    def stream_ask(
        self, datasource_id: Id, question: str, *, engine: str | None = None
    ) -> Iterator[StreamEvent]:
        """Asks a question and yields its stages as they happen: ``ContextEvent``, ``SqlEvent``,
        ``ExecutingEvent``, ``ResultEvent``, ``ChartEvent``, then ``DoneEvent`` (with the whole
        answer) or ``ErrorEvent`` (whose ``exception()`` is what ``ask`` would raise)."""
        return self._events(c.ask(datasource_id, question, engine))

    def sql(self, datasource_id: Id, sql: str) -> QueryResponse:
        """Runs SQL through the guard: one read-only query, the caller's row policies, the row cap."""
        return self._run(c.sql(datasource_id, sql))

    def stream_sql(self, datasource_id: Id, sql: str) -> Iterator[StreamEvent]:
        return self._events(c.sql(datasource_id, sql))

    def semantic_query(self, datasource_id: Id, query: Mapping[str, Any]) -> QueryResponse:
        """Queries the data source's semantic model: ``{"measures": [...], "dimensions": [...],
        "filters": [...], "time_dimension": {...}, "order": [...], "limit": n}``."""
        return self._run(c.semantic_query(datasource_id, query))

    def stream_semantic_query(self, datasource_id: Id, query: Mapping[str, Any]) -> Iterator[StreamEvent]:
        return self._events(c.semantic_query(datasource_id, query))

    # --- Health -----------------------------------------------------------------------------------

    def healthz(self) -> str:
        """Liveness: ``"ok"`` while the process serves."""
        return self._run(c.healthz())

    def readiness(self) -> Readiness:
        """Readiness of Postgres (required) and Redis (optional); not an error when unready."""
        return self._run(c.readyz())


class _Resource:
    def __init__(self, client: Kurobe) -> None:
        self._client = client

    def _run(self, spec: Call[T]) -> T:
        return self._client._run(spec)  # pyright: ignore[reportPrivateUsage]


class Auth(_Resource):
    def login(self, email: str, password: str, *, organisation_id: Id | None = None) -> TokenResponse:
        """Signs in a person; ``client.with_credential(token.access_token)`` then acts as them."""
        return self._run(c.login(email, password, organisation_id))

    def signup(
        self, email: str, password: str, organisation_name: str, *, display_name: str | None = None
    ) -> TokenResponse:
        return self._run(c.signup(email, password, organisation_name, display_name))

    def me(self) -> MeResponse:
        return self._run(c.me())

    def switch(self, organisation_id: Id) -> TokenResponse:
        """A session in another organisation of the same person (sessions only, not API keys)."""
        return self._run(c.switch(organisation_id))


class Organisation(_Resource):
    def get(self) -> OrganisationDetails:
        return self._run(c.organisation_get())

    def update(
        self,
        *,
        name: str | None = None,
        engines: Mapping[str, str | None] | None = None,
        rate_limit_per_minute: int | None = None,
    ) -> OrganisationDetails:
        """Renames the organisation, chooses its engines, or sets its per-credential
        quota (requests per minute; 0 returns to the server's default)."""
        return self._run(c.organisation_update(name, engines, rate_limit_per_minute))


class DataSources(_Resource):
    def list(self) -> list[DataSource]:
        return self._run(c.datasources_list())

    def get(self, datasource_id: Id) -> DataSource:
        return self._run(c.datasources_get(datasource_id))

    def by_name(self, name: str) -> DataSource:
        """The data source of that name; ``LookupError`` when there is none."""
        for source in self.list():
            if source.name == name:
                return source
        raise LookupError(f"no data source named {name!r}")

    def create(
        self,
        name: str,
        config: DataSourceConfig,
        *,
        credentials: Credentials | None = None,
        limits: QueryLimits | None = None,
    ) -> DataSource:
        return self._run(c.datasources_create(name, config, credentials, limits))

    def update(
        self,
        datasource_id: Id,
        *,
        name: str | None = None,
        config: DataSourceConfig | None = None,
        credentials: Credentials | None = None,
        limits: QueryLimits | None = None,
    ) -> DataSource:
        return self._run(c.datasources_update(datasource_id, name, config, credentials, limits))

    def delete(self, datasource_id: Id) -> None:
        return self._run(c.datasources_delete(datasource_id))

    def test(self, datasource_id: Id) -> ConnectionTest:
        return self._run(c.datasources_test(datasource_id))

    def schema(self, datasource_id: Id) -> DataSourceSchema:
        return self._run(c.datasources_schema(datasource_id))

    def refresh(self, datasource_id: Id) -> DataSourceSchema:
        return self._run(c.datasources_refresh(datasource_id))

    def policies(self, datasource_id: Id) -> RowPolicies:
        return self._run(c.policies_get(datasource_id))

    def set_policies(self, datasource_id: Id, policies: Sequence[RowPolicy]) -> RowPolicies:
        return self._run(c.policies_set(datasource_id, policies))


class Queries(_Resource):
    def list(
        self,
        *,
        datasource_id: Id | None = None,
        status: str | None = None,
        user_id: Id | None = None,
        q: str | None = None,
        before: Id | None = None,
        limit: int | None = None,
    ) -> QueryPage:
        """One page of the history, newest first; pass ``next_before`` as ``before`` for more."""
        return self._run(c.queries_list(datasource_id, status, user_id, q, before, limit))

    def iterate(
        self,
        *,
        datasource_id: Id | None = None,
        status: str | None = None,
        user_id: Id | None = None,
        q: str | None = None,
        limit: int | None = None,
    ) -> Iterator[QueryRecord]:
        """Every entry of the history, page after page (``limit`` is the page size)."""
        before: Id | None = None
        while True:
            page = self.list(
                datasource_id=datasource_id, status=status, user_id=user_id, q=q, before=before, limit=limit
            )
            yield from page.items
            if page.next_before is None:
                return
            before = page.next_before

    def get(self, query_id: Id) -> QueryRecord:
        return self._run(c.queries_get(query_id))

    def rerun(self, query_id: Id) -> QueryResponse:
        return self._run(c.queries_rerun(query_id))

    def stream_rerun(self, query_id: Id) -> Iterator[StreamEvent]:
        return self._client._events(c.queries_rerun(query_id))  # pyright: ignore[reportPrivateUsage]

    def feedback(self, query_id: Id, rating: Rating, *, comment: str | None = None) -> None:
        return self._run(c.queries_feedback(query_id, rating, comment))

    def iter_csv(self, query_id: Id, *, chunk_size: int = 65536) -> Iterator[bytes]:
        """The query's result as CSV, read again from the warehouse, in chunks as it streams."""
        response = self._client._open(c.queries_csv(query_id))  # pyright: ignore[reportPrivateUsage]
        try:
            yield from response.iter_bytes(chunk_size)
        finally:
            response.close()

    def export_csv(self, query_id: Id, destination: str | os.PathLike[str] | IO[bytes]) -> int:
        """Streams the query's result as CSV into a file (a path or a binary file object);
        returns the number of bytes written."""
        written = 0
        if isinstance(destination, (str, os.PathLike)):
            with open(destination, "wb") as out:
                return self.export_csv(query_id, out)
        for chunk in self.iter_csv(query_id):
            destination.write(chunk)
            written += len(chunk)
        return written


class Saved(_Resource):
    def list(self) -> list[SavedQuestion]:
        return self._run(c.saved_list())

    def create(self, name: str, datasource_id: Id, sql: str, *, question: str | None = None) -> SavedQuestion:
        return self._run(c.saved_create(name, datasource_id, sql, question))

    def delete(self, saved_id: Id) -> None:
        return self._run(c.saved_delete(saved_id))

    def pin(self, saved_id: Id) -> SavedQuestion:
        """Keeps the question's result warm in the cache; the warming job runs it as you."""
        return self._run(c.saved_pin(saved_id))

    def unpin(self, saved_id: Id) -> SavedQuestion:
        return self._run(c.saved_unpin(saved_id))


class ApiKeys(_Resource):
    def list(self) -> list[ApiKey]:
        return self._run(c.api_keys_list())

    def create(
        self, name: str, *, scopes: Sequence[Permission] | None = None, expires_at: datetime | None = None
    ) -> CreatedApiKey:
        """A new key for the caller; ``created.key`` is shown this once."""
        return self._run(c.api_keys_create(name, scopes, expires_at))

    def revoke(self, key_id: Id) -> ApiKey:
        return self._run(c.api_keys_revoke(key_id))


class Members(_Resource):
    def list(self) -> list[Member]:
        return self._run(c.members_list())

    def add(
        self, email: str, role: Role, *, password: str | None = None, display_name: str | None = None
    ) -> Member:
        return self._run(c.members_add(email, role, password, display_name))

    def update(
        self, user_id: Id, *, role: Role | None = None, attributes: Mapping[str, str] | None = None
    ) -> Member:
        return self._run(c.members_update(user_id, role, attributes))

    def remove(self, user_id: Id) -> None:
        return self._run(c.members_remove(user_id))


class Audit(_Resource):
    def list(
        self,
        *,
        action: str | None = None,
        outcome: AuditOutcome | None = None,
        actor_user_id: Id | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        before: int | None = None,
        limit: int | None = None,
    ) -> AuditPage:
        """One page of the audit log, newest first; ``action`` is exact or a family (``api_key.``)."""
        return self._run(c.audit(action, outcome, actor_user_id, since, until, before, limit))

    def iterate(
        self,
        *,
        action: str | None = None,
        outcome: AuditOutcome | None = None,
        actor_user_id: Id | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> Iterator[AuditEntry]:
        before: int | None = None
        while True:
            page = self.list(
                action=action, outcome=outcome, actor_user_id=actor_user_id, since=since, until=until,
                before=before, limit=limit,
            )  # fmt: skip
            yield from page.items
            if page.next_before is None:
                return
            before = page.next_before


class Engines(_Resource):
    def status(self) -> EnginesStatus:
        return self._run(c.engines())

    def reload(self) -> ReloadResult:
        """Reads the engines file again; for the server's operators (``security.operators``)."""
        return self._run(c.engines_reload())


class Jobs(_Resource):
    def status(self) -> JobsStatus:
        """The background jobs, their schedules, and the organisation's runs."""
        return self._run(c.jobs())

    def run(self, name: str) -> JobRun:
        """Queues a run of an organisation job (``schema_refresh``, ``cache_warm``) now."""
        return self._run(c.jobs_run(name))

    def retry(self, run_id: Id) -> JobRun:
        """Queues a new run of a failed run's job."""
        return self._run(c.jobs_retry(run_id))
