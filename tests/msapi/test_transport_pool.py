"""The process-wide HTTP clients keep the connections of a burst as wide as their callers make and send the next
burst over them, with no new TCP connection and TLS handshake per call: httpx's (msapi.transport.http_client) as wide
as a health sweep (SWEEP_CONCURRENCY tenants, two reads each, all in flight at once), MSAL's requests session
(msal_session) as wide as the token threads (msapi.tokens.TOKEN_THREADS, each fetching a tenant's first token)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from aiohttp import web

from desk.health import SWEEP_CONCURRENCY
from emulator.threaded import ThreadedServer
from emulator.tls import ensure_tls
from msapi.tokens import TOKEN_THREADS
from msapi.transport import http_client, msal_session

SWEEP_WIDTH = 2 * SWEEP_CONCURRENCY  # healthOverviews and issues of every tenant in flight
PATH = "/v1.0/admin/serviceAnnouncement/issues"


class Burst:
    """A server that answers only once `width` requests are waiting, so that `width` connections are open at once,
    and remembers the client's address (its port names the connection) of every request."""

    def __init__(self) -> None:
        self.width = 0
        self.peers: list[tuple[str, int]] = []
        self._waiting = 0
        self._everyone: asyncio.Event | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(PATH, self._answer)
        return app

    async def _answer(self, request: web.Request) -> web.Response:
        self.peers.append(request.transport.get_extra_info("peername") if request.transport else ("", 0))
        everyone = self._everyone = self._everyone or asyncio.Event()
        self._waiting += 1
        if self._waiting == self.width:
            self._waiting, self._everyone = 0, None
            everyone.set()
        await asyncio.wait_for(everyone.wait(), 10)
        return web.json_response({"value": []})


@pytest.fixture
def burst_server(tmp_path: Path) -> Iterator[tuple[Burst, str, str]]:
    tls = ensure_tls(tmp_path / "tls")
    burst = Burst()
    server = ThreadedServer(burst.app, "burst-server", tls=tls.server_context())
    server.start()
    try:
        yield burst, f"https://127.0.0.1:{server.port}", str(tls.ca_cert)
    finally:
        server.stop()


async def test_a_second_burst_as_wide_as_a_sweep_goes_over_the_first_bursts_connections(
    burst_server: tuple[Burst, str, str],
) -> None:
    burst, base, ca = burst_server
    burst.width = SWEEP_WIDTH
    http = http_client(ca)
    try:
        for _ in range(2):
            answers = await asyncio.gather(*(http.get(f"{base}{PATH}") for _ in range(SWEEP_WIDTH)))
            assert [answer.status_code for answer in answers] == [200] * SWEEP_WIDTH
    finally:
        await http.aclose()

    assert len(burst.peers) == 2 * SWEEP_WIDTH
    assert len(set(burst.peers)) == SWEEP_WIDTH  # the second burst opened no connection of its own


def test_msal_session_keeps_a_connection_for_each_token_thread(
    burst_server: tuple[Burst, str, str], tmp_path: Path
) -> None:
    burst, base, ca = burst_server
    burst.width = TOKEN_THREADS
    session = msal_session(ca)
    with ThreadPoolExecutor(TOKEN_THREADS) as threads:
        for _ in range(2):
            answers = list(threads.map(lambda _: session.get(f"{base}{PATH}").status_code, range(TOKEN_THREADS)))
            assert answers == [200] * TOKEN_THREADS
    session.close()

    assert len(burst.peers) == 2 * TOKEN_THREADS
    assert len(set(burst.peers)) == TOKEN_THREADS  # the second burst opened no connection of its own
