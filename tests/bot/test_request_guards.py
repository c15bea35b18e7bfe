"""What reaches the bot at all: the body's type is JSON exactly (both modes), and in local mode, where authentication
is off, the Host must be a loopback name, so a web page cannot reach the bot through DNS rebinding (its browser
would send the attacker's name as Host). Production keeps any Host: its real token protects it."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.bot import test_authentication
from tests.bot.test_authentication import Production, assert_no_turn
from tests.support.activities import Chat
from tests.support.harness import Desk

keys, openid, emulator, production = (
    test_authentication.keys,
    test_authentication.openid,
    test_authentication.emulator,
    test_authentication.production,
)

NOT_JSON = [
    "application/jsonp",
    "application/json-seq",
    "application/jsonx",
    "text/plain",
    "text/plain; note=application/json",
    "application/x-www-form-urlencoded; application/json",
    "application/json; charset=utf-16",
    "application/json; boundary=x",
    "",
]
JSON = ["application/json", "application/json; charset=utf-8", 'Application/JSON;charset="UTF-8"']


async def post_typed(desk: Desk, chat: Chat, content_type: str, headers: dict[str, str] | None = None) -> int:
    body = json.dumps(chat.message("help")).encode()
    response = await desk.client.post(
        "/api/messages", data=body, headers={"Content-Type": content_type, **(headers or {})}
    )
    return response.status


@pytest.mark.parametrize("content_type", NOT_JSON)
async def test_local_mode_takes_json_by_its_exact_type_only(desk: Desk, customer_chat: Chat, content_type: str) -> None:
    assert await post_typed(desk, customer_chat, content_type) == 415
    await assert_no_turn(desk, desk.connector)


@pytest.mark.parametrize("content_type", JSON)
async def test_json_with_a_utf8_charset_is_served(desk: Desk, customer_chat: Chat, content_type: str) -> None:
    assert await post_typed(desk, customer_chat, content_type) == 201


@pytest.mark.parametrize("content_type", ["application/jsonp", "text/plain; note=application/json"])
async def test_production_takes_json_by_its_exact_type_only(production: Production, content_type: str) -> None:
    chat = production.chat
    authorization = {"Authorization": f"Bearer {production.token()}"}
    assert await post_typed(production.desk, chat, content_type, authorization) == 415
    await assert_no_turn(production.desk, production.connector)


FOREIGN_HOSTS = [
    "evil.example",
    "evil.example:3978",
    "localhost.evil.example:3978",
    "127.0.0.1.nip.io:3978",
    "localhost.:3978",
    "app.localhost:3978",
    "0.0.0.0:3978",
    "[::ffff:7f00:1]:3978x",
    "",
]
LOOPBACK_HOSTS = ["localhost", "localhost:3978", "LocalHost:1", "127.0.0.1:3978", "127.0.0.2", "[::1]:3978", "[::1]"]
ROUTES = [
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/auth/callback?state=x&code=y"),
    ("GET", "/auth/signin/x"),
    ("POST", "/api/messages"),
]


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
async def test_local_mode_refuses_a_host_that_is_not_loopback_on_every_route(
    desk: Desk, customer_chat: Chat, host: str
) -> None:
    for method, path in ROUTES:
        body = json.dumps(customer_chat.message("help")).encode() if method == "POST" else None
        headers = {"Host": host, "Content-Type": "application/json"}
        response = await desk.client.request(method, path, data=body, headers=headers, allow_redirects=False)
        assert response.status == 403, (host, path)
        assert "Host" in await response.text()
    await assert_no_turn(desk, desk.connector)


@pytest.mark.parametrize("host", LOOPBACK_HOSTS)
async def test_local_mode_serves_loopback_hosts(desk: Desk, customer_chat: Chat, host: str) -> None:
    ready = await desk.client.get("/readyz", headers={"Host": host})
    assert ready.status == 200
    assert await post_typed(desk, customer_chat, "application/json", {"Host": host}) == 201


async def test_production_serves_its_public_host(production: Production) -> None:
    ready = await production.desk.client.get("/readyz", headers={"Host": "desk.contoso.example"})
    assert ready.status == 200
    headers = {"Host": "desk.contoso.example", "Authorization": f"Bearer {production.token()}"}
    assert await post_typed(production.desk, production.chat, "application/json", headers) == 201


async def test_local_mode_refuses_a_request_without_host(desk: Desk) -> None:
    # HTTP/1.1 without Host never reaches a handler (aiohttp answers 400); HTTP/1.0 may omit it.
    server = desk.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(b"GET /readyz HTTP/1.0\r\n\r\n")
        await writer.drain()
        status_line = (await reader.readline()).decode()
    finally:
        writer.close()
    assert status_line.split()[1] == "403"
