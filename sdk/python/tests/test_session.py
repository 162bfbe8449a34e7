"""A script's whole life with an API key: created by the owner, used from the environment as
a script would (ask, stream, SQL, history, feedback, CSV export), refused outside its scopes,
audited under its id, revoked."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DEMO, Server, unique

from kurobe import AuthenticationError, DoneEvent, Kurobe, PermissionDeniedError


def test_api_key_session_from_creation_to_csv_export(
    kurobe: Kurobe, server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = kurobe.api_keys.create(
        unique("nightly"), scopes=["datasources:read", "queries:run", "queries:read"]
    )
    monkeypatch.setenv("KUROBE_API_KEY", created.key)
    monkeypatch.setenv("KUROBE_BASE_URL", server.base_url)
    with Kurobe() as script:
        me = script.auth.me()
        assert me.credential == "api_key"
        assert set(me.permissions) == {"datasources:read", "queries:run", "queries:read"}
        source = script.datasources.by_name(DEMO)
        answer = script.ask(source.id, "How many orders are there by status?")
        events = list(script.stream_ask(source.id, "How many stores are there?"))
        assert isinstance(events[-1], DoneEvent)
        sql = script.sql(source.id, "SELECT name FROM retail.regions ORDER BY name")
        history = script.queries.list(limit=3).items
        assert [r.id for r in history] == [sql.query_id, events[-1].answer.query_id, answer.query_id]
        assert all(r.api_key_id == created.api_key.id for r in history)
        script.queries.feedback(answer.query_id, "up")
        target = tmp_path / "regions.csv"
        assert script.queries.export_csv(sql.query_id, target) > 0
        lines = target.read_text().splitlines()
        assert lines[0] == "name" and lines[1:] == [row[0] for row in sql.rows]
        with pytest.raises(PermissionDeniedError) as caught:
            script.api_keys.create("escalation")
        assert caught.value.code == "insufficient_scope"

        audited = kurobe.audit.list(action="query.", limit=20).items
        assert any(e.actor_api_key_id == created.api_key.id for e in audited)
        kurobe.api_keys.revoke(created.api_key.id)
        with pytest.raises(AuthenticationError) as caught_revoked:
            script.auth.me()
        assert caught_revoked.value.code == "api_key_revoked"
