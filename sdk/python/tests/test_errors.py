"""Every error family the live server can be made to answer, raised as its class with code,
message, request id and status; retries on 429."""

from __future__ import annotations

import time
from uuid import UUID

import pytest
from conftest import DEMO, Server, Transport, unique
from test_sync import member_client

from kurobe import (
    AuthenticationError,
    ConflictError,
    ErrorEvent,
    InvalidRequestError,
    Kurobe,
    KurobeError,
    NotFoundError,
    PermissionDeniedError,
    PostgresConfig,
    RateLimitError,
    UnavailableError,
)
from kurobe._core import error_from


def check(error: KurobeError, code: str, status: int) -> None:
    assert error.code == code, error
    assert error.status == status
    assert error.message
    assert error.request_id, "every error carries the request id"
    assert error.request_id in str(error)


def test_a_bad_key_is_an_authentication_error(server: Server) -> None:
    with (
        Kurobe("kb_0000_nope", base_url=server.base_url) as bad,
        pytest.raises(AuthenticationError) as caught,
    ):
        bad.auth.me()
    check(caught.value, "invalid_api_key", 401)
    with Kurobe("", base_url=server.base_url) as anonymous, pytest.raises(AuthenticationError) as caught:
        anonymous.datasources.list()
    check(caught.value, "unauthenticated", 401)


def test_a_wrong_password_is_an_authentication_error(kurobe: Kurobe, server: Server) -> None:
    with pytest.raises(AuthenticationError) as caught:
        kurobe.auth.login(server.email, "not the password")
    check(caught.value, "invalid_credentials", 401)


def test_a_viewer_may_not_run_queries(kurobe: Kurobe, server: Server, demo_id: UUID) -> None:
    with member_client(kurobe, server, "viewer") as viewer:
        assert viewer.datasources.by_name(DEMO).id == demo_id
        with pytest.raises(PermissionDeniedError) as caught:
            viewer.ask(demo_id, "How many orders are there?")
        check(caught.value, "forbidden", 403)
        with pytest.raises(PermissionDeniedError):
            viewer.members.list()


def test_a_key_without_the_scope_is_refused(kurobe: Kurobe) -> None:
    created = kurobe.api_keys.create(unique("read only"), scopes=["queries:read"])
    with kurobe.with_credential(created.key) as narrow:
        assert narrow.queries.list(limit=1).items is not None
        with pytest.raises(PermissionDeniedError) as caught:
            narrow.datasources.list()
    check(caught.value, "insufficient_scope", 403)
    kurobe.api_keys.revoke(created.api_key.id)


def test_missing_things_are_not_found(kurobe: Kurobe) -> None:
    with pytest.raises(NotFoundError) as caught:
        kurobe.sql("00000000-0000-0000-0000-000000000000", "SELECT 1")
    check(caught.value, "not_found", 404)


def test_duplicates_are_conflicts(kurobe: Kurobe, server: Server, demo_id: UUID) -> None:
    demo = kurobe.datasources.get(demo_id)
    with pytest.raises(ConflictError) as caught:
        kurobe.datasources.create(DEMO, demo.config)
    check(caught.value, "conflict", 409)
    name = unique("twice")
    saved = kurobe.saved.create(name, demo_id, "SELECT 1")
    with pytest.raises(ConflictError):
        kurobe.saved.create(name, demo_id, "SELECT 2")
    kurobe.saved.delete(saved.id)
    with pytest.raises(ConflictError) as caught:
        kurobe.auth.signup(server.email, "a long enough password", "Another")
    check(caught.value, "email_taken", 409)


def test_refused_sql_and_unanswerable_questions_are_invalid_requests(kurobe: Kurobe, demo_id: UUID) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        kurobe.sql(demo_id, "DROP TABLE retail.orders")
    check(caught.value, "sql_refused", 422)
    with pytest.raises(InvalidRequestError) as caught:
        kurobe.ask(demo_id, "What is the meaning of life?")
    check(caught.value, "cannot_answer", 422)
    assert caught.value.suggestions and all(s.endswith("?") for s in caught.value.suggestions)
    with pytest.raises(InvalidRequestError) as caught:
        kurobe.ask(demo_id, "How many orders are there?", engine="no-such-engine")
    check(caught.value, "unknown_engine", 422)
    with pytest.raises(InvalidRequestError) as caught:
        kurobe.sql(demo_id, "SELECT no_such_column FROM retail.orders")
    assert caught.value.code in ("sql_refused", "query_failed")


def test_a_stream_ends_with_an_error_event(kurobe: Kurobe, demo_id: UUID) -> None:
    events = list(kurobe.stream_ask(demo_id, "What is the meaning of life?"))
    last = events[-1]
    assert isinstance(last, ErrorEvent) and last.error.code == "cannot_answer"
    error = last.exception()
    assert isinstance(error, InvalidRequestError) and error.status == 422 and error.suggestions
    # A missing data source is found out once the stream has begun: an error event too.
    missing = list(kurobe.stream_ask("00000000-0000-0000-0000-000000000000", "How many orders are there?"))
    assert isinstance(missing[-1], ErrorEvent)
    assert isinstance(missing[-1].exception(), NotFoundError)


def test_malformed_requests_are_invalid_requests(kurobe: Kurobe) -> None:
    # The SDK cannot send these; the raw client under it can, and the SDK reads the answers.
    http = kurobe._http  # pyright: ignore[reportPrivateUsage]
    headers = {"content-type": "application/json"}
    cases = [
        (http.post("/v1/sql", content=b"{not json", headers=headers), "invalid_json", 400),
        (
            http.post("/v1/sql", content=b"{}", headers={"content-type": "text/plain"}),
            "unsupported_media_type",
            415,
        ),
        (http.delete("/v1/sql"), "method_not_allowed", 405),
        (http.get("/v1/queries", params={"limit": "many"}), "bad_request", 400),
    ]
    for response, code, status in cases:
        error = error_from(response)
        assert isinstance(error, InvalidRequestError)
        check(error, code, status)


def test_validation_failures_are_invalid_requests(kurobe: Kurobe) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        kurobe.members.add(f"{unique('short')}@example.com", "analyst", password="short")
    check(caught.value, "validation_failed", 422)


def test_an_unreachable_data_source_is_unavailable(kurobe: Kurobe) -> None:
    config = PostgresConfig(host="127.0.0.1", port=1, database="nothing", user="nobody")
    source = kurobe.datasources.create(unique("unreachable"), config)
    try:
        assert not kurobe.datasources.test(source.id).ok
        with pytest.raises(UnavailableError) as caught:
            kurobe.datasources.schema(source.id)
        check(caught.value, "datasource_unavailable", 502)
    finally:
        kurobe.datasources.delete(source.id)


def test_429_is_retried_after_retry_after(kurobe: Kurobe, transport: Transport) -> None:
    transport.throttle, transport.retry_after, transport.throttled = 2, "0", 0
    assert kurobe.healthz() == "ok"
    assert transport.throttled == 2
    transport.throttle, transport.retry_after = 1, "1"
    started = time.monotonic()
    assert kurobe.auth.me().organisation.name == "Demo"
    assert time.monotonic() - started >= 1.0


def test_429_past_the_retries_is_a_rate_limit_error(kurobe: Kurobe, transport: Transport) -> None:
    transport.throttle, transport.retry_after, transport.throttled = 5, "0", 0
    with pytest.raises(RateLimitError) as caught:
        kurobe.auth.me()
    assert transport.throttled == 1 + kurobe.max_retries
    assert caught.value.code == "rate_limited" and caught.value.status == 429
    assert caught.value.retry_after == 0
    transport.throttle = 0
    assert kurobe.auth.me().role == "owner"
