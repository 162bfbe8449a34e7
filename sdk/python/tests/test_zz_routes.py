"""Run last (pytest takes files in name order): every route of the API was called by the
tests above through the SDK, so no method goes untested against the live server."""

from __future__ import annotations

import re

import pytest
from conftest import TRAFFIC

from kurobe import ROUTES


def test_every_route_was_exercised(request: pytest.FixtureRequest) -> None:
    if request.session.testscollected < 40:
        pytest.skip("only meaningful when the whole suite runs")
    missing: list[str] = []
    for route in sorted(ROUTES):
        pattern = re.compile(
            "^"
            + re.sub(r"\{\w+\}", "[^/]+", re.escape(route.path).replace(r"\{", "{").replace(r"\}", "}"))
            + "$"
        )
        if not any(method == route.method and pattern.match(path) for method, path in TRAFFIC.seen):
            missing.append(f"{route.method} {route.path}")
    assert missing == []
