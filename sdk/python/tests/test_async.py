"""The async client against the live server: the same calls, awaited."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

import pytest
from conftest import DEMO, unique

from kurobe import AsyncKurobe, DoneEvent, ErrorEvent, InvalidRequestError, NotFoundError, SqlEvent

QUESTION = "How many orders are there by status?"


async def test_async_ask_sql_semantic_and_stream(akurobe: AsyncKurobe) -> None:
    source = await akurobe.datasources.by_name(DEMO)
    answers = await asyncio.gather(
        akurobe.ask(source.id, QUESTION),
        akurobe.sql(source.id, "SELECT count(*) AS n FROM retail.orders"),
        akurobe.semantic_query(source.id, {"measures": ["orders.count"]}),
    )
    assert answers[0].row_count == 5 and answers[1].rows == answers[2].rows
    events = [e async for e in akurobe.stream_ask(source.id, QUESTION)]
    assert isinstance(events[1], SqlEvent) and isinstance(events[-1], DoneEvent)
    sql_events = [e async for e in akurobe.stream_sql(source.id, "SELECT 1 AS one")]
    assert isinstance(sql_events[-1], DoneEvent) and sql_events[-1].answer.rows == [[1]]
    semantic = [e async for e in akurobe.stream_semantic_query(source.id, {"measures": ["orders.count"]})]
    assert isinstance(semantic[-1], DoneEvent)
    refused = [e async for e in akurobe.stream_ask(source.id, "What is the meaning of life?")]
    assert isinstance(refused[-1], ErrorEvent) and refused[-1].error.suggestions


async def test_async_errors(akurobe: AsyncKurobe, demo_id: UUID) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await akurobe.sql(demo_id, "DROP TABLE retail.orders")
    assert caught.value.code == "sql_refused" and caught.value.request_id
    with pytest.raises(NotFoundError):
        await akurobe.queries.get("00000000-0000-0000-0000-000000000000")


async def test_async_history_csv_and_feedback(akurobe: AsyncKurobe, demo_id: UUID, tmp_path: Path) -> None:
    answer = await akurobe.sql(demo_id, "SELECT region_id, name FROM retail.regions ORDER BY region_id")
    assert (await akurobe.queries.get(answer.query_id)).status == "succeeded"
    rerun = await akurobe.queries.rerun(answer.query_id)
    assert rerun.rows == answer.rows
    streamed = [e async for e in akurobe.queries.stream_rerun(answer.query_id)]
    assert isinstance(streamed[-1], DoneEvent)
    await akurobe.queries.feedback(answer.query_id, "up")
    target = tmp_path / "regions.csv"
    written = await akurobe.queries.export_csv(answer.query_id, target)
    lines = target.read_text().splitlines()
    assert written > 0 and lines[0] == "region_id,name" and len(lines) == 1 + answer.row_count
    chunks = [c async for c in akurobe.queries.iter_csv(answer.query_id)]
    assert b"".join(chunks) == target.read_bytes()
    page = await akurobe.queries.list(limit=2, datasource_id=demo_id)
    assert len(page.items) == 2
    records = [r async for r in akurobe.queries.iterate(limit=5)]
    assert len(records) > 5


async def test_async_administration(akurobe: AsyncKurobe, demo_id: UUID) -> None:
    me = await akurobe.auth.me()
    assert me.organisation.name == "Demo"
    assert (await akurobe.organisation.get()).id == me.organisation.id
    assert (await akurobe.datasources.get(demo_id)).name == DEMO
    assert (await akurobe.datasources.test(demo_id)).ok
    assert (await akurobe.datasources.schema(demo_id)).schema_.tables
    assert (await akurobe.datasources.policies(demo_id)).policies == []
    assert len(await akurobe.datasources.list()) >= 1
    created = await akurobe.api_keys.create(unique("async"), scopes=["queries:read"])
    assert created.api_key.id in {k.id for k in await akurobe.api_keys.list()}
    assert (await akurobe.api_keys.revoke(created.api_key.id)).revoked_at is not None
    entries = [e async for e in akurobe.audit.iterate(action="api_key.", limit=2)]
    assert len(entries) >= 2
    assert (await akurobe.audit.list(limit=1)).items
    saved = await akurobe.saved.create(unique("async saved"), demo_id, "SELECT 1")
    assert saved.id in {s.id for s in await akurobe.saved.list()}
    await akurobe.saved.delete(saved.id)
    assert (await akurobe.engines.status()).sections
    assert (await akurobe.engines.reload()).outcome in ("applied", "unchanged")
    assert await akurobe.healthz() == "ok"
    assert (await akurobe.readiness()).ready
    assert len(await akurobe.members.list()) >= 1
