"""Connector clients are built once per (app, serviceUrl, audience) and reused by turns and by the outbox with their
credentials; retries stay off, the allowlist is checked on every use, and the cache is bounded (least recently used
goes first)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botframework.connector.auth import ConnectorFactory
from botframework.connector.auth._connector_factory_impl import _ConnectorFactoryImpl

from bot.edge.connectors import ConnectorClients
from bot.edge.credentials import RENEW_MARGIN_SECONDS, BotAppCredentials
from bot.edge.service_urls import ServiceUrlPolicy, ServiceUrlRefused
from emulator import demo
from emulator.server import EmulatorServer
from msapi.transport import combined_bundle, msal_session
from tests.bot import test_authentication
from tests.bot.helpers import GOOD_TICKET
from tests.bot.test_authentication import BOT_TOKEN_PATH, Production
from tests.support.activities import Channel, user
from tests.support.production import BOT_APP_ID, BOT_PASSWORD

keys, openid, emulator, production = (
    test_authentication.keys,
    test_authentication.openid,
    test_authentication.emulator,
    test_authentication.production,
)


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str | None]]]:
    """Every connector client the SDK's factory builds: (serviceUrl, audience)."""
    calls: list[tuple[str, str | None]] = []
    original = _ConnectorFactoryImpl.create

    async def counting(self: _ConnectorFactoryImpl, service_url: str, audience: str | None = None) -> Any:
        calls.append((service_url, audience))
        return await original(self, service_url, audience)

    monkeypatch.setattr(_ConnectorFactoryImpl, "create", counting)
    yield calls


async def test_turns_and_the_outbox_share_one_connector_client(production: Production, built: list) -> None:
    desk, chat = production.desk, production.chat
    triage = Channel("19:team@thread.tacv2", "19:triage@thread.tacv2", chat.service_url)
    assert await production.post(triage.message(user(demo.PARTNER, 0), "triage here")) == 201
    for _ in range(3):
        assert await production.post(chat.message("help")) == 201
    draft = await _open_form(production)
    assert await production.post(chat.invoke("ticket.submit", draft, GOOD_TICKET)) == 200
    await desk.delivered()

    triage_posts = production.connector.posts(triage.channel_id)
    assert triage_posts, "the outbox posted the ticket to the triage channel"
    assert len(production.connector.posts(chat.conversation_id)) >= 4
    assert len(built) == 1, built  # one client for every turn and every outbox send
    tokens = production.emulator.state.requests(BOT_TOKEN_PATH)
    assert len(tokens) == 1
    assert {s.authorization for s in production.connector.sent} == {production.connector.sent[0].authorization}


async def test_sends_reuse_one_connection_to_the_connector(production: Production) -> None:
    for _ in range(5):
        assert await production.post(production.chat.message("help")) == 201
    await production.desk.delivered()

    sent = production.connector.sent
    assert len(sent) >= 5
    assert len({s.peer for s in sent}) == 1, {s.peer for s in sent}  # one at a time: one kept-alive connection


async def _open_form(running: Production) -> str:
    assert await running.post(running.chat.message("new ticket")) == 201
    card = running.connector.posts(running.chat.conversation_id)[-1].cards[0]
    action = next(a for a in card["actions"] if a.get("verb") == "ticket.submit")
    return str(action["data"]["id"])


class FakeFactory(ConnectorFactory):
    """Builds a plain object per call, remembering each."""

    def __init__(self) -> None:
        self.built: list[tuple[str, str | None]] = []

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        self.built.append((service_url, audience))
        return _FakeClient()


class _FakeClient:
    def __init__(self) -> None:
        self.config = _Config()


class _Config:
    def __init__(self) -> None:
        from msrest.universal_http.requests import ClientRetryPolicy

        self.retry_policy = ClientRetryPolicy()
        self.connection = type("Connection", (), {"timeout": 100})()
        self.credentials = None


ALLOWED = ("https://a.example/", "https://b.example/", "https://c.example/")


async def test_the_cache_keeps_the_most_recently_used_clients_only() -> None:
    policy = ServiceUrlPolicy(("a.example", "b.example", "c.example"))
    clients = ConnectorClients(policy, size=2)
    factory = FakeFactory()

    first = await clients.get(factory, "app", ALLOWED[0], "scope")
    assert await clients.get(factory, "app", ALLOWED[0], "scope") is first
    await clients.get(factory, "app", ALLOWED[1], "scope")
    await clients.get(factory, "app", ALLOWED[0], "scope")  # a is now the most recently used
    await clients.get(factory, "app", ALLOWED[2], "scope")  # evicts b
    await clients.get(factory, "app", ALLOWED[0], "scope")
    await clients.get(factory, "app", ALLOWED[1], "scope")  # built again

    assert factory.built == [
        (ALLOWED[0], "scope"),
        (ALLOWED[1], "scope"),
        (ALLOWED[2], "scope"),
        (ALLOWED[1], "scope"),
    ]
    assert len(clients) == 2


async def test_each_app_and_audience_gets_its_own_client() -> None:
    clients = ConnectorClients(ServiceUrlPolicy(("a.example",)), size=8)
    factory = FakeFactory()

    one = await clients.get(factory, "app", ALLOWED[0], "scope")
    assert await clients.get(factory, "app", ALLOWED[0], "other-scope") is not one
    assert await clients.get(factory, "another-app", ALLOWED[0], "scope") is not one
    assert len(factory.built) == 3


async def test_a_refused_service_url_is_refused_every_time_and_never_cached() -> None:
    clients = ConnectorClients(ServiceUrlPolicy(("a.example",)), size=8)
    factory = FakeFactory()
    await clients.get(factory, "app", ALLOWED[0], "scope")

    for url in ("https://attacker.example/", "http://a.example/", "https://a.example.attacker.example/"):
        with pytest.raises(ServiceUrlRefused):
            await clients.get(factory, "app", url, "scope")
    assert factory.built == [(ALLOWED[0], "scope")]
    assert len(clients) == 1


async def test_cached_clients_keep_the_sdk_retries_off_and_the_timeout() -> None:
    clients = ConnectorClients(ServiceUrlPolicy(("a.example",)), size=8)
    client = await clients.get(FakeFactory(), "app", ALLOWED[0], "scope")

    assert client.config.retry_policy.retries == 0
    assert client.config.retry_policy.policy.status_forcelist == frozenset()
    assert client.config.connection.timeout == 30


class CountingMsal:
    """Stands in for the MSAL app: counts token requests, answers with the lifetime it is given."""

    def __init__(self, clock: list[float], **lifetime: float) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.asked: list[float] = []

    def acquire_token_for_client(self, scopes: list[str]) -> dict[str, Any]:
        self.asked.append(self.clock[0])
        return {"access_token": "token", **self.lifetime}


def _credentials(server: EmulatorServer, tmp_path: Path, clock: list[float]) -> BotAppCredentials:
    bundle = combined_bundle(str(server.tls.ca_cert), str(tmp_path / "bundle.pem"))
    return BotAppCredentials(
        BOT_APP_ID,
        BOT_PASSWORD,
        f"{server.base_url}/login/botframework.com",
        "https://api.botframework.com",
        False,
        msal_session(bundle),
        clock=lambda: clock[0],
    )


async def test_warm_asks_msal_only_when_its_token_nears_renewal(emulator: EmulatorServer, tmp_path: Path) -> None:
    clock = [1_000_000.0]
    credentials = _credentials(emulator, tmp_path, clock)
    msal = credentials._app = CountingMsal(clock, expires_in=3600)

    await credentials.warm()
    await credentials.warm()
    clock[0] += 3600 - RENEW_MARGIN_SECONDS - 1
    await credentials.warm()
    assert len(msal.asked) == 1
    clock[0] += 2
    await credentials.warm()
    assert len(msal.asked) == 2


async def test_warm_heeds_msals_refresh_on(emulator: EmulatorServer, tmp_path: Path) -> None:
    clock = [1_000_000.0]
    credentials = _credentials(emulator, tmp_path, clock)
    msal = credentials._app = CountingMsal(clock, expires_in=86_400, refresh_on=clock[0] + 3600)

    await credentials.warm()
    clock[0] += 3600 - RENEW_MARGIN_SECONDS + 1
    await credentials.warm()
    assert len(msal.asked) == 2
