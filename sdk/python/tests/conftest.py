"""A real Kurobe for the tests: ./start.sh on a fresh state folder and spare ports (Postgres,
Redis, the API and the demo organisation), stopped at the end of the session.

Set KUROBE_TEST_BASE_URL, KUROBE_TEST_API_KEY and KUROBE_TEST_LOGIN (``email / password``)
to run against a server that is already up instead.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from kurobe import AsyncKurobe, Kurobe

REPO = Path(__file__).resolve().parents[3]
DEMO = "Retail demo (DuckDB)"


@dataclass
class Server:
    base_url: str
    api_key: str
    email: str
    password: str
    home: Path | None = None


@dataclass
class Traffic:
    """Every (method, path) the tests sent, to show each route of the API was exercised."""

    seen: set[tuple[str, str]] = field(default_factory=set[tuple[str, str]])

    def record(self, request: httpx.Request) -> None:
        self.seen.add((request.method, request.url.path))


TRAFFIC = Traffic()


class Transport(httpx.BaseTransport):
    """The real HTTP transport, recording what passes; ``throttle`` answers the next n requests
    with 429 and ``Retry-After`` before they reach the server, as a rate limiter in front of
    Kurobe would (Kurobe itself has none yet)."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.throttle = 0
        self.retry_after = "0"
        self.throttled = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.throttle > 0:
            self.throttle -= 1
            self.throttled += 1
            return httpx.Response(
                429,
                headers={"retry-after": self.retry_after, "x-request-id": "throttle"},
                json={"error": {"code": "rate_limited", "message": "slow down", "request_id": "throttle"}},
            )
        TRAFFIC.record(request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        # Shared by the session's clients (with_credential too): closing one must not end it.
        pass


class AsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        TRAFFIC.record(request)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _spare_ports() -> int:
    """A port p with p, p+1 and p+2 free (the API, Postgres, Redis)."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port > 65000:
            continue
        free = True
        for candidate in (port, port + 1, port + 2):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", candidate))
                except OSError:
                    free = False
        if free:
            return port
    raise RuntimeError("no three consecutive free ports")


def _start() -> tuple[Server, subprocess.Popen[bytes], Path]:
    home = Path(tempfile.mkdtemp(prefix="kurobe-sdk-py."))
    port = _spare_ports()
    env = {
        **os.environ,
        "KUROBE_HOME": str(home),
        "KUROBE_PORT": str(port),
        "KUROBE_PG_PORT": str(port + 1),
        "KUROBE_REDIS_PORT": str(port + 2),
        "KUROBE_BUILD_PROFILE": "dev",
        # The API alone; the web app has its own suite.
        "KUROBE_WEB": "0",
        "CARGO_TARGET_DIR": os.environ.get("CARGO_TARGET_DIR", str(REPO / "target")),
    }
    for name in ("DATABASE_URL", "REDIS_URL", "KUROBE_API_KEY", "KUROBE_BASE_URL"):
        env.pop(name, None)
    log = home / "start.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ["./start.sh"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + float(os.environ.get("KUROBE_TEST_START_SECONDS", "900"))
    while True:
        if process.poll() is not None:
            # start.sh may have started Postgres and Redis before it failed: stop them too.
            output = log.read_text()
            _stop(process, home)
            raise RuntimeError(f"start.sh exited with {process.returncode}:\n{output[-4000:]}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            _stop(process, home)
            raise RuntimeError(f"Kurobe not ready in time:\n{log.read_text()[-4000:]}")
        time.sleep(0.5)
    output = log.read_text()
    login = re.search(r"^  sign in:  (\S+) / (\S+)$", output, re.MULTILINE)
    key = re.search(r"^  API key:  (kb_\S+)$", output, re.MULTILINE)
    if not (login and key):
        _stop(process, home)
        raise RuntimeError(f"start.sh printed no credentials:\n{output[-4000:]}")
    return Server(base_url, key.group(1), login.group(1), login.group(2), home), process, home


def _stop(process: subprocess.Popen[bytes], home: Path) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    subprocess.run([str(REPO / "scripts/services.sh"), "down", str(home)], check=False, capture_output=True)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    external = os.environ.get("KUROBE_TEST_BASE_URL")
    if external:
        email, _, password = os.environ["KUROBE_TEST_LOGIN"].partition(" / ")
        yield Server(external, os.environ["KUROBE_TEST_API_KEY"], email, password)
        return
    started, process, home = _start()
    try:
        yield started
    finally:
        _stop(process, home)


@pytest.fixture(scope="session")
def transport() -> Transport:
    return Transport()


@pytest.fixture(scope="session")
def kurobe(server: Server, transport: Transport) -> Iterator[Kurobe]:
    with Kurobe(server.api_key, base_url=server.base_url, transport=transport) as client:
        yield client


@pytest.fixture
async def akurobe(server: Server) -> AsyncIterator[AsyncKurobe]:
    async with AsyncKurobe(server.api_key, base_url=server.base_url, transport=AsyncTransport()) as client:
        yield client


@pytest.fixture(scope="session")
def demo_id(kurobe: Kurobe) -> UUID:
    return kurobe.datasources.by_name(DEMO).id


def unique(prefix: str) -> str:
    return f"{prefix}-{time.monotonic_ns()}"
