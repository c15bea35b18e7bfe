"""httpx over aiohttp's pool (msapi/aiohttp_transport.py) behaves as httpx's own transport where the clients rely on
it: the URL and body go as httpx made them, compressed bodies are decoded once, redirects are not followed, cookies
are httpx's alone, and failures are httpx's transport errors (which the retry policy retries)."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
from collections.abc import Iterator

import httpx
import pytest
from aiohttp import web

from emulator.threaded import ThreadedServer
from msapi.transport import http_client


class Recorder:
    """A local server that remembers what it was sent and answers per path."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/echo", self._echo)
        app.router.add_get("/gzip", self._gzip)
        app.router.add_get("/moved", self._moved)
        app.router.add_get("/cookie", self._cookie)
        app.router.add_get("/slow", self._slow)
        app.router.add_get("/cut", self._cut)
        return app

    async def _echo(self, request: web.Request) -> web.Response:
        body = await request.text()
        self.seen.append({"query": request.raw_path.partition("?")[2], "body": body, **dict(request.headers)})
        return web.json_response({"ok": True})

    async def _gzip(self, _: web.Request) -> web.Response:
        body = gzip.compress(json.dumps({"value": ["a", "b"]}).encode())
        return web.Response(body=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})

    async def _moved(self, _: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "/echo"})

    async def _cookie(self, request: web.Request) -> web.Response:
        self.seen.append({"cookie": request.headers.get("Cookie", "")})
        response = web.json_response({})
        response.set_cookie("session", "s1")
        return response

    async def _slow(self, _: web.Request) -> web.Response:
        await asyncio.sleep(1)  # longer than the test's timeout
        return web.json_response({})

    async def _cut(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "100", "Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(b'{"value": [')
        if request.transport is not None:
            request.transport.close()  # the rest never comes
        return response


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, str]]:
    recorder = Recorder()
    server = ThreadedServer(recorder.app, "recorder")
    server.start()
    try:
        yield recorder, f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


async def test_query_and_body_go_exactly_as_httpx_encoded_them(recorder: tuple[Recorder, str]) -> None:
    server, base = recorder
    async with http_client() as http:
        params = {"$filter": "isResolved eq false", "$orderby": "lastModifiedDateTime desc"}
        answer = await http.post(f"{base}/echo", params=params, json={"title": "Почта не работает"})

    assert answer.status_code == 200 and answer.json() == {"ok": True}
    sent = server.seen[0]
    assert sent["query"] == httpx.URL(f"{base}/echo", params=params).query.decode()  # as httpx encodes it
    assert json.loads(sent["body"]) == {"title": "Почта не работает"}
    assert sent["Content-Type"] == "application/json"


async def test_a_compressed_body_is_decoded_once(recorder: tuple[Recorder, str]) -> None:
    _, base = recorder
    async with http_client() as http:
        answer = await http.get(f"{base}/gzip")

    assert answer.json() == {"value": ["a", "b"]}


async def test_a_redirect_is_answered_not_followed(recorder: tuple[Recorder, str]) -> None:
    server, base = recorder
    async with http_client() as http:
        answer = await http.get(f"{base}/moved")

    assert (answer.status_code, answer.headers["Location"]) == (302, "/echo")
    assert server.seen == []


async def test_cookies_are_httpxs_alone_and_sent_once(recorder: tuple[Recorder, str]) -> None:
    server, base = recorder
    async with http_client() as http:
        await http.get(f"{base}/cookie")
        await http.get(f"{base}/cookie")

    assert [seen["cookie"] for seen in server.seen] == ["", "session=s1"]


async def test_a_refused_connection_is_httpxs_connect_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with http_client() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{port}/echo")


async def test_an_answer_slower_than_the_read_timeout_is_httpxs_read_timeout(recorder: tuple[Recorder, str]) -> None:
    _, base = recorder
    async with http_client() as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"{base}/slow", timeout=httpx.Timeout(0.2))


async def test_a_body_cut_off_is_an_httpx_transport_error(recorder: tuple[Recorder, str]) -> None:
    _, base = recorder
    async with http_client() as http:
        with pytest.raises(httpx.TransportError):
            await http.get(f"{base}/cut")


async def test_a_reason_phrase_outside_latin1_is_no_error() -> None:
    # HTTP leaves the reason phrase to the server (a PSA's webhook endpoint may say "200 Окей"); the status is what
    # counts. httpx keeps the phrase as Latin-1 bytes.
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write("HTTP/1.1 200 Окей\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".encode())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with http_client() as http:
            response = await http.get(f"http://127.0.0.1:{port}/")
        assert (response.status_code, response.text) == (200, "ok")
    finally:
        server.close()
        await server.wait_closed()
