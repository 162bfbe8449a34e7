"""What the sync and async clients share: the routes, how a call becomes an httpx request,
how a response becomes a model or an exception, the retry rule and the SSE decoder."""

from __future__ import annotations

import email.utils
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar
from uuid import UUID

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from .errors import KurobeError, make_error
from .models import ErrorBody, StreamEvent

__version__ = "0.1.0"

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2
# The longest Retry-After the client waits out by itself; a longer one is raised at once.
MAX_RETRY_WAIT = 60.0

T = TypeVar("T")
Id = UUID | str


class Route(NamedTuple):
    """One operation of openapi.json: its method, path template and query parameters."""

    method: str
    path: str
    query: tuple[str, ...] = ()


# Every route of the API the SDK calls; a test holds this table to openapi.json.
R = {
    "healthz": Route("GET", "/healthz"),
    "readyz": Route("GET", "/readyz"),
    "engines": Route("GET", "/v1/admin/engines"),
    "engines_reload": Route("POST", "/v1/admin/engines/reload"),
    "jobs": Route("GET", "/v1/admin/jobs"),
    "jobs_retry": Route("POST", "/v1/admin/jobs/runs/{id}/retry"),
    "jobs_run": Route("POST", "/v1/admin/jobs/{name}/run"),
    "api_keys_list": Route("GET", "/v1/api-keys"),
    "api_keys_create": Route("POST", "/v1/api-keys"),
    "api_keys_revoke": Route("DELETE", "/v1/api-keys/{id}"),
    "audit": Route(
        "GET", "/v1/audit", ("action", "outcome", "actor_user_id", "since", "until", "before", "limit")
    ),
    "login": Route("POST", "/v1/auth/login"),
    "me": Route("GET", "/v1/auth/me"),
    "signup": Route("POST", "/v1/auth/signup"),
    "switch": Route("POST", "/v1/auth/switch"),
    "datasources_list": Route("GET", "/v1/datasources"),
    "datasources_create": Route("POST", "/v1/datasources"),
    "datasources_get": Route("GET", "/v1/datasources/{id}"),
    "datasources_delete": Route("DELETE", "/v1/datasources/{id}"),
    "datasources_update": Route("PATCH", "/v1/datasources/{id}"),
    "policies_get": Route("GET", "/v1/datasources/{id}/policies"),
    "policies_set": Route("PUT", "/v1/datasources/{id}/policies"),
    "datasources_refresh": Route("POST", "/v1/datasources/{id}/refresh"),
    "datasources_schema": Route("GET", "/v1/datasources/{id}/schema"),
    "datasources_test": Route("POST", "/v1/datasources/{id}/test"),
    "members_list": Route("GET", "/v1/members"),
    "members_add": Route("POST", "/v1/members"),
    "members_remove": Route("DELETE", "/v1/members/{user_id}"),
    "members_update": Route("PATCH", "/v1/members/{user_id}"),
    "organisation_get": Route("GET", "/v1/organisation"),
    "organisation_update": Route("PATCH", "/v1/organisation"),
    "queries_list": Route(
        "GET", "/v1/queries", ("datasource_id", "status", "user_id", "q", "before", "limit")
    ),
    "queries_get": Route("GET", "/v1/queries/{id}"),
    "queries_feedback": Route("POST", "/v1/queries/{id}/feedback"),
    "queries_rerun": Route("POST", "/v1/queries/{id}/rerun"),
    "queries_csv": Route("GET", "/v1/queries/{id}/result.csv"),
    "ask": Route("POST", "/v1/query"),
    "saved_list": Route("GET", "/v1/saved"),
    "saved_create": Route("POST", "/v1/saved"),
    "saved_delete": Route("DELETE", "/v1/saved/{id}"),
    "saved_pin": Route("PUT", "/v1/saved/{id}/pin"),
    "saved_unpin": Route("DELETE", "/v1/saved/{id}/pin"),
    "semantic": Route("POST", "/v1/semantic/query"),
    "sql": Route("POST", "/v1/sql"),
}
ROUTES: frozenset[Route] = frozenset(R.values())


def _nothing(_: httpx.Response) -> None:
    return None


def _text(response: httpx.Response) -> str:
    return response.text


def parse_as(kind: type[T]) -> Callable[[httpx.Response], T]:
    """A parser of a JSON body into ``kind`` (a model, a list of models, any type)."""
    adapter: TypeAdapter[T] = TypeAdapter(kind)
    return lambda response: adapter.validate_json(response.content)


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request to make and how to read its answer."""

    route: Route
    parse: Callable[[httpx.Response], T]
    path: Mapping[str, Id] = field(default_factory=dict[str, Id])
    query: Mapping[str, Any] = field(default_factory=dict[str, Any])
    body: BaseModel | None = None
    # Error statuses whose body is still the answer (readiness says what is down with 503).
    ok_statuses: frozenset[int] = frozenset()


def call(
    name: str,
    parse: Callable[[httpx.Response], T],
    *,
    body: BaseModel | None = None,
    **path: Id,
) -> Call[T]:
    return Call(R[name], parse, path=path, body=body)


def query_call(name: str, parse: Callable[[httpx.Response], T], **query: Any) -> Call[T]:
    return Call(R[name], parse, query=query)


def no_content(name: str, *, body: BaseModel | None = None, **path: Id) -> Call[None]:
    return call(name, _nothing, body=body, **path)


def text(name: str) -> Call[str]:
    return call(name, _text)


def _query_value(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def build_request(
    http: httpx.Client | httpx.AsyncClient, spec: Call[Any], *, stream: bool = False
) -> httpx.Request:
    url = spec.route.path.format(**{k: str(v) for k, v in spec.path.items()})
    params = {k: _query_value(v) for k, v in spec.query.items() if v is not None}
    headers = {"accept": "text/event-stream"} if stream else {}
    json_body = (
        None if spec.body is None else spec.body.model_dump(mode="json", by_alias=True, exclude_none=True)
    )
    return http.build_request(spec.route.method, url, params=params, json=json_body, headers=headers)


class Settings(NamedTuple):
    base_url: str
    headers: dict[str, str]


def settings(api_key: str | None, base_url: str | None) -> Settings:
    """The base URL and headers, from the arguments or ``KUROBE_API_KEY``/``KUROBE_BASE_URL``."""
    key = api_key if api_key is not None else os.environ.get("KUROBE_API_KEY")
    url = base_url or os.environ.get("KUROBE_BASE_URL") or DEFAULT_BASE_URL
    headers = {"user-agent": f"kurobe-python/{__version__}"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    return Settings(url.rstrip("/"), headers)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def retry_delay(response: httpx.Response, attempt: int, max_retries: int) -> float | None:
    """How long to wait before trying again, or None to stop. Only 429 is retried: the server
    did not act on the request, so repeating even a POST is safe. Without Retry-After the
    wait doubles from half a second."""
    if response.status_code != 429 or attempt >= max_retries:
        return None
    wait = retry_after(response)
    if wait is None:
        wait = 0.5 * 2**attempt
    return wait if wait <= MAX_RETRY_WAIT else None


def error_from(response: httpx.Response) -> KurobeError:
    """The exception for an error response; its body is read already."""
    request_id = response.headers.get("x-request-id")
    wait = retry_after(response)
    try:
        detail = ErrorBody.model_validate_json(response.content).error
    except ValidationError:
        text = response.text.strip() or response.reason_phrase
        return make_error(
            f"http_{response.status_code}",
            text[:500],
            status=response.status_code,
            request_id=request_id,
            retry_after=wait,
        )
    return make_error(
        detail.code,
        detail.message,
        status=response.status_code,
        request_id=detail.request_id or request_id,
        suggestions=detail.suggestions,
        retry_after=wait,
    )


def finish(response: httpx.Response, spec: Call[T]) -> T:
    if response.is_error and response.status_code not in spec.ok_statuses:
        raise error_from(response)
    return spec.parse(response)


_EVENT: TypeAdapter[StreamEvent] = TypeAdapter(StreamEvent)


class SseDecoder:
    """Server-sent events, line by line: ``data:`` lines gather until a blank line ends the
    event; comments (keep-alives) are skipped. Each event's data is a ``StreamEvent``."""

    def __init__(self) -> None:
        self._data: list[str] = []
        self._name: str | None = None

    def line(self, line: str) -> StreamEvent | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._name = value
        return None

    def _dispatch(self) -> StreamEvent | None:
        data, name = "\n".join(self._data), self._name
        self._data, self._name = [], None
        if not data:
            return None
        payload = json.loads(data)
        if isinstance(payload, dict) and name and "event" not in payload:
            payload["event"] = name
        return _EVENT.validate_python(payload)
