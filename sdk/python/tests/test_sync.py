"""Every method of the sync client against the live server, as the demo organisation's owner
(by API key) and as people signed in with the SDK."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from conftest import Server, unique

from kurobe import (
    ChartEvent,
    ContextEvent,
    DoneEvent,
    DuckDbConfig,
    ExecutingEvent,
    Kurobe,
    QueryLimits,
    ResultEvent,
    RowPolicy,
    SqlEvent,
)
from kurobe.models import Role

QUESTION = "How many orders are there by status?"
BY_STATUS = "SELECT status, count(*) AS orders FROM retail.orders GROUP BY status ORDER BY orders DESC"


def test_health_and_readiness(kurobe: Kurobe) -> None:
    assert kurobe.healthz() == "ok"
    ready = kurobe.readiness()
    assert ready.ready and ready.postgres.status == "up" and ready.redis.status == "up"


def test_me_with_the_demo_key(kurobe: Kurobe) -> None:
    me = kurobe.auth.me()
    assert me.organisation.name == "Demo" and me.role == "owner" and me.credential == "api_key"
    assert "queries:run" in me.permissions
    assert [m.organisation.id for m in me.memberships] == [me.organisation.id]


def test_ask_answers_with_sql_rows_chart_and_generation(kurobe: Kurobe, demo_id: UUID) -> None:
    answer = kurobe.ask(demo_id, QUESTION)
    assert answer.question == QUESTION and answer.datasource_id == demo_id
    assert answer.sql.startswith("SELECT orders.status")
    assert answer.column_names == ["status", "count"]
    assert answer.columns[1].data_type.kind == "integer"
    assert {row[0] for row in answer.rows} == {"completed", "cancelled", "processing", "returned", "shipped"}
    assert answer.row_count == 5 and not answer.truncated
    assert answer.chart.kind == "bar" and answer.chart.x == "status" and answer.chart.y == ["count"]
    assert answer.generation is not None and answer.generation.engine == "offline"
    assert answer.timings.total_ms > 0
    assert answer.records()[0].keys() == {"status", "count"}
    again = kurobe.ask(demo_id, QUESTION, engine="offline")
    assert again.cache.hit and again.rows == answer.rows


def test_sql_and_its_frames(kurobe: Kurobe, demo_id: UUID) -> None:
    answer = kurobe.sql(demo_id, BY_STATUS)
    assert answer.question is None and answer.generation is None
    assert answer.rows[0][0] == "completed" and answer.row_count == 5
    frame = answer.to_pandas()
    assert list(frame.columns) == ["status", "orders"] and int(frame["orders"].sum()) > 0
    items = kurobe.sql(demo_id, "SELECT order_id, unit_price FROM retail.order_items ORDER BY 1, 2 LIMIT 3")
    table = items.to_arrow()
    assert str(table.column("unit_price").type) == "decimal128(10, 2)"
    assert table.num_rows == 3
    dates = kurobe.sql(
        demo_id, "SELECT order_date FROM retail.orders ORDER BY order_date LIMIT 1"
    ).to_pandas()
    assert str(dates["order_date"].dtype).startswith("datetime64")


def test_semantic_query(kurobe: Kurobe, demo_id: UUID) -> None:
    answer = kurobe.semantic_query(
        demo_id,
        {
            "measures": ["orders.count"],
            "dimensions": ["orders.status"],
            "order": [{"member": "orders.count", "direction": "desc"}],
            "limit": 3,
        },
    )
    assert answer.row_count == 3 and answer.rows[0][0] == "completed"
    events = list(kurobe.stream_semantic_query(demo_id, {"measures": ["orders.count"]}))
    assert isinstance(events[-1], DoneEvent) and events[-1].answer.row_count == 1


def test_stream_ask_yields_every_stage_in_order(kurobe: Kurobe, demo_id: UUID) -> None:
    events = list(kurobe.stream_ask(demo_id, QUESTION))
    kinds = [type(e) for e in events]
    assert kinds == [ContextEvent, SqlEvent, ExecutingEvent, ResultEvent, ChartEvent, DoneEvent]
    context, sql, _, result, chart, done = events
    assert isinstance(context, ContextEvent) and "retail.orders" in context.tables
    assert isinstance(sql, SqlEvent) and sql.engine == "offline"
    assert isinstance(result, ResultEvent) and result.row_count == 5
    assert isinstance(chart, ChartEvent) and chart.chart.kind == "bar"
    assert isinstance(done, DoneEvent) and done.answer.sql == sql.sql


def test_stream_sql_and_an_early_stop(kurobe: Kurobe, demo_id: UUID) -> None:
    stream = kurobe.stream_sql(demo_id, BY_STATUS)
    first = next(iter(stream))
    assert first.event in ("sql", "executing")
    del stream  # closing an unfinished stream closes its response
    assert kurobe.sql(demo_id, BY_STATUS).row_count == 5


def test_history_get_rerun_feedback_and_pages(kurobe: Kurobe, demo_id: UUID) -> None:
    answer = kurobe.ask(demo_id, QUESTION)
    record = kurobe.queries.get(answer.query_id)
    assert record.status == "succeeded" and record.question == QUESTION and record.row_count == 5
    rerun = kurobe.queries.rerun(answer.query_id)
    assert rerun.query_id != answer.query_id and rerun.rows == answer.rows
    events = list(kurobe.queries.stream_rerun(answer.query_id))
    assert isinstance(events[-1], DoneEvent)
    kurobe.queries.feedback(answer.query_id, "up", comment="right")
    kurobe.queries.feedback(answer.query_id, "down")
    page = kurobe.queries.list(datasource_id=demo_id, status="succeeded", limit=2)
    assert len(page.items) == 2 and page.next_before is not None
    older = kurobe.queries.list(before=page.next_before, limit=2)
    assert {i.id for i in older.items}.isdisjoint({i.id for i in page.items})
    found = kurobe.queries.list(q="orders are there by status", limit=50)
    assert all(i.question and "status" in i.question for i in found.items if i.question)
    everything = list(kurobe.queries.iterate(limit=3))
    assert len(everything) >= 5 and len({i.id for i in everything}) == len(everything)
    mine = kurobe.queries.list(user_id=record.user_id, limit=1)
    assert mine.items[0].user_id == record.user_id


def test_csv_export_to_file_and_iterator(kurobe: Kurobe, demo_id: UUID, tmp_path: Path) -> None:
    answer = kurobe.sql(demo_id, BY_STATUS)
    target = tmp_path / "by-status.csv"
    written = kurobe.queries.export_csv(answer.query_id, target)
    assert written == target.stat().st_size > 0
    rows = list(csv.reader(io.StringIO(target.read_text())))
    assert rows[0] == ["status", "orders"] and rows[1][0] == "completed" and len(rows) == 6
    streamed = b"".join(kurobe.queries.iter_csv(answer.query_id, chunk_size=16))
    assert streamed == target.read_bytes()
    buffer = io.BytesIO()
    assert kurobe.queries.export_csv(answer.query_id, buffer) == written


def test_saved_questions(kurobe: Kurobe, demo_id: UUID) -> None:
    name = unique("orders by status")
    saved = kurobe.saved.create(name, demo_id, BY_STATUS, question=QUESTION)
    assert saved.name == name and saved.question == QUESTION and saved.sql == BY_STATUS
    assert saved.id in {s.id for s in kurobe.saved.list()}
    pinned = kurobe.saved.pin(saved.id)
    assert pinned.pinned and pinned.pinned_by is not None and pinned.pinned_at is not None
    assert not kurobe.saved.unpin(saved.id).pinned
    kurobe.saved.delete(saved.id)
    assert saved.id not in {s.id for s in kurobe.saved.list()}


def test_datasource_lifecycle_and_row_policies(kurobe: Kurobe, server: Server, demo_id: UUID) -> None:
    demo = kurobe.datasources.get(demo_id)
    assert isinstance(demo.config, DuckDbConfig) and demo.health.status in ("ok", "unknown")
    name = unique("retail copy")
    source = kurobe.datasources.create(
        name, DuckDbConfig(path=demo.config.path), limits=QueryLimits(max_rows=100, cache_ttl_seconds=0)
    )
    try:
        assert source.name == name and source.limits.max_rows == 100 and not source.has_credentials
        assert kurobe.datasources.test(source.id).ok
        schema = kurobe.datasources.schema(source.id)
        assert {t.name for t in schema.schema_.tables} >= {"orders", "stores", "regions"}
        orders = next(t for t in schema.schema_.tables if t.name == "orders")
        assert orders.schema_ == "retail" and orders.primary_key == ["order_id"]
        refreshed = kurobe.datasources.refresh(source.id)
        assert refreshed.generation > schema.generation
        renamed = kurobe.datasources.update(
            source.id, name=name + " (renamed)", limits=QueryLimits(max_rows=3)
        )
        assert renamed.name.endswith("(renamed)") and renamed.limits.max_rows == 3
        capped = kurobe.sql(source.id, "SELECT order_id FROM retail.orders")
        assert capped.row_count == 3 and capped.truncated
        assert source.id in {s.id for s in kurobe.datasources.list()}

        assert kurobe.datasources.policies(source.id).policies == []
        policy = RowPolicy(table="retail.orders", roles=["analyst"], predicate="status = 'completed'")
        assert kurobe.datasources.set_policies(source.id, [policy]).policies == [policy]
        assert kurobe.datasources.policies(source.id).policies == [policy]
        with member_client(kurobe, server, "analyst") as analyst:
            seen = analyst.sql(source.id, "SELECT DISTINCT status FROM retail.orders")
        assert seen.rows == [["completed"]]
    finally:
        kurobe.datasources.delete(source.id)
    assert source.id not in {s.id for s in kurobe.datasources.list()}


def member_client(kurobe: Kurobe, server: Server, role: Role) -> Kurobe:
    """A client signed in as a new member of the demo organisation with that role."""
    email = f"{unique(role)}@example.com"
    password = "a long enough password"
    kurobe.members.add(email, role, password=password)
    token = kurobe.auth.login(email, password)
    return Kurobe(token.access_token, base_url=server.base_url)


def test_members(kurobe: Kurobe) -> None:
    email = f"{unique('member')}@example.com"
    member = kurobe.members.add(email, "analyst", password="a long enough password", display_name="Ann Alyst")
    assert member.email == email and member.role == "analyst" and member.display_name == "Ann Alyst"
    updated = kurobe.members.update(member.user_id, role="viewer", attributes={"region_id": "3"})
    assert updated.role == "viewer" and updated.attributes == {"region_id": "3"}
    assert email in {m.email for m in kurobe.members.list()}
    kurobe.members.remove(member.user_id)
    assert email not in {m.email for m in kurobe.members.list()}


def test_login_signup_switch_and_organisation(kurobe: Kurobe, server: Server) -> None:
    token = kurobe.auth.login(server.email, server.password)
    assert token.token_type == "bearer" and token.role == "owner" and token.expires_in > 0
    email = f"{unique('founder')}@example.com"
    signed_up = kurobe.auth.signup(email, "a long enough password", unique("Acme"), display_name="Founder")
    assert signed_up.role == "owner"
    demo = kurobe.auth.me().organisation
    kurobe.members.add(email, "analyst")  # an existing account joins as it is
    with kurobe.with_credential(signed_up.access_token) as founder:
        assert founder.auth.me().credential == "session"
        switched = founder.auth.switch(demo.id)
        assert switched.organisation.id == demo.id and switched.role == "analyst"
    with kurobe.with_credential(token.access_token) as owner:
        details = owner.organisation.get()
        assert details.name == "Demo" and details.effective_engines["text_to_sql"] == "offline"
        renamed = owner.organisation.update(name="Demo (renamed)")
        assert renamed.name == "Demo (renamed)"
        chosen = owner.organisation.update(name="Demo", engines={"text_to_sql": "offline"})
        assert chosen.engines == {"text_to_sql": "offline"}
        reset = owner.organisation.update(engines={"text_to_sql": None})
        assert reset.engines == {} and reset.name == "Demo"


def test_api_keys(kurobe: Kurobe) -> None:
    created = kurobe.api_keys.create(unique("ci"), scopes=["queries:run", "queries:read"])
    assert created.key.startswith(created.api_key.prefix + "_")
    assert created.api_key.scopes == ["queries:read", "queries:run"] or set(created.api_key.scopes) == {
        "queries:run",
        "queries:read",
    }
    assert created.api_key.id in {k.id for k in kurobe.api_keys.list()}
    revoked = kurobe.api_keys.revoke(created.api_key.id)
    assert revoked.revoked_at is not None


def test_audit_log(kurobe: Kurobe) -> None:
    kurobe.api_keys.revoke(kurobe.api_keys.create(unique("audited")).api_key.id)
    page = kurobe.audit.list(action="api_key.", limit=5)
    assert page.items and all(e.action.startswith("api_key.") for e in page.items)
    assert page.items[0].seq > page.items[-1].seq
    created = kurobe.audit.list(action="api_key.create", outcome="success", limit=1).items[0]
    assert created.outcome == "success" and created.actor_api_key_id is not None
    assert created.request_id
    second = timedelta(seconds=1)
    window = kurobe.audit.list(since=created.created_at - second, until=created.created_at + second, limit=50)
    assert created.id in {e.id for e in window.items}
    actor = kurobe.audit.list(actor_user_id=created.actor_user_id, limit=1)
    assert actor.items[0].actor_user_id == created.actor_user_id
    entries = list(kurobe.audit.iterate(limit=4))
    assert len(entries) > 4 and len({e.seq for e in entries}) == len(entries)
    older = kurobe.audit.list(before=entries[0].seq, limit=1)
    assert older.items[0].seq < entries[0].seq


def test_jobs_are_listed_run_and_refused_by_name(kurobe: Kurobe) -> None:
    status = kurobe.jobs.status()
    assert {j.name for j in status.jobs} == {"schema_refresh", "cache_warm", "audit_retention"}
    run = kurobe.jobs.run("schema_refresh")
    assert run.job == "schema_refresh" and run.trigger == "manual"
    assert run.id in {r.id for r in kurobe.jobs.status().runs}
    from kurobe import NotFoundError

    with pytest.raises(NotFoundError) as caught:
        kurobe.jobs.run("no_such_job")
    assert caught.value.code == "not_found"


def test_engines_status_and_reload(kurobe: Kurobe) -> None:
    status = kurobe.engines.status()
    text_to_sql = next(s for s in status.sections if s.kind == "text_to_sql")
    assert text_to_sql.default == "offline"
    assert any(e.name == "offline" and e.available for e in text_to_sql.engines)
    reloaded = kurobe.engines.reload()
    assert reloaded.outcome in ("applied", "unchanged") and reloaded.status.version >= status.version
    # start.sh makes the demo administrator the server's operator; another organisation's
    # owner sees the engines but neither the file nor its reload.
    assert kurobe.auth.me().operator and status.file is not None
    from kurobe import PermissionDeniedError

    tenant = kurobe.auth.signup(f"{unique('tenant')}@example.com", "a long enough password", unique("Tenant"))
    with kurobe.with_credential(tenant.access_token) as owner:
        assert not owner.auth.me().operator
        seen = owner.engines.status()
        assert seen.file is None and seen.sections
        with pytest.raises(PermissionDeniedError) as refused:
            owner.engines.reload()
        assert refused.value.code == "forbidden"


def test_ids_may_be_strings(kurobe: Kurobe, demo_id: UUID) -> None:
    assert kurobe.datasources.get(str(demo_id)).id == demo_id
    assert kurobe.sql(str(demo_id), "SELECT 1 AS one").rows == [[1]]


@pytest.mark.parametrize("missing", [uuid4()])
def test_unknown_ids_are_not_found(kurobe: Kurobe, missing: UUID) -> None:
    from kurobe import NotFoundError

    for method in (
        kurobe.datasources.get,
        kurobe.queries.get,
        kurobe.saved.delete,
        kurobe.api_keys.revoke,
        kurobe.jobs.retry,
    ):
        with pytest.raises(NotFoundError) as caught:
            method(missing)
        assert caught.value.code == "not_found" and caught.value.status == 404
