"""The asynchronous client: ``Kurobe``'s twin, every method awaited."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Mapping, Sequence
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


class AsyncKurobe:
    """An asyncio client of the Kurobe API, with the methods of ``Kurobe``.

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
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        config = settings(api_key, base_url)
        self.base_url = config.base_url
        self.max_retries = max_retries
        self._options: dict[str, Any] = {
            "timeout": timeout,
            "max_retries": max_retries,
            "transport": transport,
        }
        self._http = httpx.AsyncClient(
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

    def with_credential(self, api_key: str) -> AsyncKurobe:
        """A client of the same server and options with another key or access token."""
        return AsyncKurobe(api_key, base_url=self.base_url, **self._options)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncKurobe:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    # --- Plumbing ---------------------------------------------------------------------------------

    async def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        attempt = 0
        while True:
            response = await self._http.send(request, stream=stream)
            delay = retry_delay(response, attempt, self.max_retries)
            if delay is None:
                return response
            await response.aclose()
            await asyncio.sleep(delay)
            attempt += 1

    async def _run(self, spec: Call[T]) -> T:
        return finish(await self._send(build_request(self._http, spec)), spec)

    async def _open(self, spec: Call[Any], *, stream: bool = False) -> httpx.Response:
        """A streamed response whose status is a success; the caller closes it."""
        response = await self._send(build_request(self._http, spec, stream=stream), stream=True)
        if response.is_error:
            await response.aread()
            await response.aclose()
            raise error_from(response)
        return response

    async def _events(self, spec: Call[Any]) -> AsyncIterator[StreamEvent]:
        response = await self._open(spec, stream=True)
        try:
            decoder = SseDecoder()
            async for line in response.aiter_lines():
                event = decoder.line(line)
                if event is not None:
                    yield event
            last = decoder.line("")
            if last is not None:
                yield last
        finally:
            await response.aclose()

    # --- Questions and SQL --------------------------------------------------------------------------

    async def ask(self, datasource_id: Id, question: str, *, engine: str | None = None) -> QueryResponse:
        """Asks a question in plain language; raises ``InvalidRequestError`` with code
        ``cannot_answer`` and ``suggestions`` when the engine is not sure."""
        return await self._run(c.ask(datasource_id, question, engine))

    def stream_ask(
        self, datasource_id: Id, question: str, *, engine: str | None = None
    ) -> AsyncIterator[StreamEvent]:
        """Asks a question and yields its stages as they happen: ``ContextEvent``, ``SqlEvent``,
        ``ExecutingEvent``, ``ResultEvent``, ``ChartEvent``, then ``DoneEvent`` (with the whole
        answer) or ``ErrorEvent`` (whose ``exception()`` is what ``ask`` would raise)."""
        return self._events(c.ask(datasource_id, question, engine))

    async def sql(self, datasource_id: Id, sql: str) -> QueryResponse:
        """Runs SQL through the guard: one read-only query, the caller's row policies, the row cap."""
        return await self._run(c.sql(datasource_id, sql))

    def stream_sql(self, datasource_id: Id, sql: str) -> AsyncIterator[StreamEvent]:
        return self._events(c.sql(datasource_id, sql))

    async def semantic_query(self, datasource_id: Id, query: Mapping[str, Any]) -> QueryResponse:
        """Queries the data source's semantic model: ``{"measures": [...], "dimensions": [...],
        "filters": [...], "time_dimension": {...}, "order": [...], "limit": n}``."""
        return await self._run(c.semantic_query(datasource_id, query))

    def stream_semantic_query(
        self, datasource_id: Id, query: Mapping[str, Any]
    ) -> AsyncIterator[StreamEvent]:
        return self._events(c.semantic_query(datasource_id, query))

    # --- Health -----------------------------------------------------------------------------------

    async def healthz(self) -> str:
        """Liveness: ``"ok"`` while the process serves."""
        return await self._run(c.healthz())

    async def readiness(self) -> Readiness:
        """Readiness of Postgres (required) and Redis (optional); not an error when unready."""
        return await self._run(c.readyz())


class _Resource:
    def __init__(self, client: AsyncKurobe) -> None:
        self._client = client

    async def _run(self, spec: Call[T]) -> T:
        return await self._client._run(spec)  # pyright: ignore[reportPrivateUsage]


class Auth(_Resource):
    async def login(self, email: str, password: str, *, organisation_id: Id | None = None) -> TokenResponse:
        """Signs in a person; ``client.with_credential(token.access_token)`` then acts as them."""
        return await self._run(c.login(email, password, organisation_id))

    async def signup(
        self, email: str, password: str, organisation_name: str, *, display_name: str | None = None
    ) -> TokenResponse:
        return await self._run(c.signup(email, password, organisation_name, display_name))

    async def me(self) -> MeResponse:
        return await self._run(c.me())

    async def switch(self, organisation_id: Id) -> TokenResponse:
        """A session in another organisation of the same person (sessions only, not API keys)."""
        return await self._run(c.switch(organisation_id))


class Organisation(_Resource):
    async def get(self) -> OrganisationDetails:
        return await self._run(c.organisation_get())

    async def update(
        self,
        *,
        name: str | None = None,
        engines: Mapping[str, str | None] | None = None,
        rate_limit_per_minute: int | None = None,
    ) -> OrganisationDetails:
        """Renames the organisation, chooses its engines, or sets its per-credential
        quota (requests per minute; 0 returns to the server's default)."""
        return await self._run(c.organisation_update(name, engines, rate_limit_per_minute))


class DataSources(_Resource):
    async def list(self) -> list[DataSource]:
        return await self._run(c.datasources_list())

    async def get(self, datasource_id: Id) -> DataSource:
        return await self._run(c.datasources_get(datasource_id))

    async def by_name(self, name: str) -> DataSource:
        """The data source of that name; ``LookupError`` when there is none."""
        for source in await self.list():
            if source.name == name:
                return source
        raise LookupError(f"no data source named {name!r}")

    async def create(
        self,
        name: str,
        config: DataSourceConfig,
        *,
        credentials: Credentials | None = None,
        limits: QueryLimits | None = None,
    ) -> DataSource:
        return await self._run(c.datasources_create(name, config, credentials, limits))

    async def update(
        self,
        datasource_id: Id,
        *,
        name: str | None = None,
        config: DataSourceConfig | None = None,
        credentials: Credentials | None = None,
        limits: QueryLimits | None = None,
    ) -> DataSource:
        return await self._run(c.datasources_update(datasource_id, name, config, credentials, limits))

    async def delete(self, datasource_id: Id) -> None:
        return await self._run(c.datasources_delete(datasource_id))

    async def test(self, datasource_id: Id) -> ConnectionTest:
        return await self._run(c.datasources_test(datasource_id))

    async def schema(self, datasource_id: Id) -> DataSourceSchema:
        return await self._run(c.datasources_schema(datasource_id))

    async def refresh(self, datasource_id: Id) -> DataSourceSchema:
        return await self._run(c.datasources_refresh(datasource_id))

    async def policies(self, datasource_id: Id) -> RowPolicies:
        return await self._run(c.policies_get(datasource_id))

    async def set_policies(self, datasource_id: Id, policies: Sequence[RowPolicy]) -> RowPolicies:
        return await self._run(c.policies_set(datasource_id, policies))


class Queries(_Resource):
    async def list(
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
        return await self._run(c.queries_list(datasource_id, status, user_id, q, before, limit))

    async def iterate(
        self,
        *,
        datasource_id: Id | None = None,
        status: str | None = None,
        user_id: Id | None = None,
        q: str | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[QueryRecord]:
        """Every entry of the history, page after page (``limit`` is the page size)."""
        before: Id | None = None
        while True:
            page = await self.list(
                datasource_id=datasource_id, status=status, user_id=user_id, q=q, before=before, limit=limit
            )
            for item in page.items:
                yield item
            if page.next_before is None:
                return
            before = page.next_before

    async def get(self, query_id: Id) -> QueryRecord:
        return await self._run(c.queries_get(query_id))

    async def rerun(self, query_id: Id) -> QueryResponse:
        return await self._run(c.queries_rerun(query_id))

    def stream_rerun(self, query_id: Id) -> AsyncIterator[StreamEvent]:
        return self._client._events(c.queries_rerun(query_id))  # pyright: ignore[reportPrivateUsage]

    async def feedback(self, query_id: Id, rating: Rating, *, comment: str | None = None) -> None:
        return await self._run(c.queries_feedback(query_id, rating, comment))

    async def iter_csv(self, query_id: Id, *, chunk_size: int = 65536) -> AsyncIterator[bytes]:
        """The query's result as CSV, read again from the warehouse, in chunks as it streams."""
        response = await self._client._open(c.queries_csv(query_id))  # pyright: ignore[reportPrivateUsage]
        try:
            async for chunk in response.aiter_bytes(chunk_size):
                yield chunk
        finally:
            await response.aclose()

    async def export_csv(self, query_id: Id, destination: str | os.PathLike[str] | IO[bytes]) -> int:
        """Streams the query's result as CSV into a file (a path or a binary file object);
        returns the number of bytes written."""
        written = 0
        if isinstance(destination, (str, os.PathLike)):
            with open(destination, "wb") as out:  # noqa: ASYNC230 - a local file, written chunk by chunk
                return await self.export_csv(query_id, out)
        async for chunk in self.iter_csv(query_id):
            destination.write(chunk)
            written += len(chunk)
        return written


class Saved(_Resource):
    async def list(self) -> list[SavedQuestion]:
        return await self._run(c.saved_list())

    async def create(
        self, name: str, datasource_id: Id, sql: str, *, question: str | None = None
    ) -> SavedQuestion:
        return await self._run(c.saved_create(name, datasource_id, sql, question))

    async def delete(self, saved_id: Id) -> None:
        return await self._run(c.saved_delete(saved_id))

    async def pin(self, saved_id: Id) -> SavedQuestion:
        """Keeps the question's result warm in the cache; the warming job runs it as you."""
        return await self._run(c.saved_pin(saved_id))

    async def unpin(self, saved_id: Id) -> SavedQuestion:
        return await self._run(c.saved_unpin(saved_id))


class ApiKeys(_Resource):
    async def list(self) -> list[ApiKey]:
        return await self._run(c.api_keys_list())

    async def create(
        self, name: str, *, scopes: Sequence[Permission] | None = None, expires_at: datetime | None = None
    ) -> CreatedApiKey:
        """A new key for the caller; ``created.key`` is shown this once."""
        return await self._run(c.api_keys_create(name, scopes, expires_at))

    async def revoke(self, key_id: Id) -> ApiKey:
        return await self._run(c.api_keys_revoke(key_id))


class Members(_Resource):
    async def list(self) -> list[Member]:
        return await self._run(c.members_list())

    async def add(
        self, email: str, role: Role, *, password: str | None = None, display_name: str | None = None
    ) -> Member:
        return await self._run(c.members_add(email, role, password, display_name))

    async def update(
        self, user_id: Id, *, role: Role | None = None, attributes: Mapping[str, str] | None = None
    ) -> Member:
        return await self._run(c.members_update(user_id, role, attributes))

    async def remove(self, user_id: Id) -> None:
        return await self._run(c.members_remove(user_id))


class Audit(_Resource):
    async def list(
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
        return await self._run(c.audit(action, outcome, actor_user_id, since, until, before, limit))

    async def iterate(
        self,
        *,
        action: str | None = None,
        outcome: AuditOutcome | None = None,
        actor_user_id: Id | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[AuditEntry]:
        before: int | None = None
        while True:
            page = await self.list(
                action=action, outcome=outcome, actor_user_id=actor_user_id, since=since, until=until,
                before=before, limit=limit,
            )  # fmt: skip
            for item in page.items:
                yield item
            if page.next_before is None:
                return
            before = page.next_before


class Engines(_Resource):
    async def status(self) -> EnginesStatus:
        return await self._run(c.engines())

    async def reload(self) -> ReloadResult:
        """Reads the engines file again; for the server's operators (``security.operators``)."""
        return await self._run(c.engines_reload())


class Jobs(_Resource):
    async def status(self) -> JobsStatus:
        """The background jobs, their schedules, and the organisation's runs."""
        return await self._run(c.jobs())

    async def run(self, name: str) -> JobRun:
        """Queues a run of an organisation job (``schema_refresh``, ``cache_warm``) now."""
        return await self._run(c.jobs_run(name))

    async def retry(self, run_id: Id) -> JobRun:
        """Queues a new run of a failed run's job."""
        return await self._run(c.jobs_retry(run_id))
