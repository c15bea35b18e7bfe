"""No secret reaches the logs, at DEBUG, from any logger. The whole flow runs in production mode against the
emulator with the app's own logging set-up (`configure_logging`, as main() and make_app() do): a customer files a
ticket, a technician signs in (authorization code + PKCE through the emulator's Entra ID), escalates (a Partner
Center service request), reads a customer's service health (Graph), and every answer goes out with the bot's
token. Every record of every logger is captured, formatted with tracebacks, and searched for every secret the test
knows: the app secrets, the token-cache keys, every code and token the emulator issued, the inbound channel tokens,
the PKCE verifier."""

from __future__ import annotations

import io
import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlparse

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer
from botframework.connector.auth import JwtTokenExtractor
from cryptography.fernet import Fernet

import app
from app import configure_logging, create_app
from desk.logsafe import REDACTED
from desk.settings import Settings
from emulator import demo
from emulator.server import EmulatorServer
from emulator.state import EmulatorState
from tests.bot.helpers import card_text, raise_ticket, set_triage_channel, ticket_row
from tests.bot.test_escalation import draft_of, form_values, open_form
from tests.bot.test_triage_actions import act, thread_posts
from tests.support.activities import Channel, Chat, user
from tests.support.connector import LocalConnector
from tests.support.harness import OFFICE_HOURS, Desk, FixedClock
from tests.support.production import BOT_APP_ID, production_env
from tests.support.tokens import OpenIdServer, SigningKey, channel_claims, new_signing_key, sign

PUBLIC_URL = "https://desk.contosocloud.example"
LINE = "%(levelname)s %(name)s: %(message)s"


class SignedDesk(Desk):
    """The desk in production mode: every activity comes with a fresh channel token (each one kept)."""

    def __init__(self, client: TestClient, connector: LocalConnector, key: SigningKey) -> None:
        super().__init__(client, connector)
        self.key = key
        self.channel_tokens: list[str] = []

    async def send(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, Any]:
        token = sign(channel_claims(BOT_APP_ID, activity["serviceUrl"]), self.key)
        self.channel_tokens.append(token)
        return await super().send(activity, {"Authorization": f"Bearer {token}", **(headers or {})})


@dataclass
class Secrets:
    """Every secret of the run, by a name to report it under."""

    known: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, value: str) -> None:
        self.known[name] = value

    def found_in(self, text: str) -> list[str]:
        """The names of the secrets that appear in `text`, as they are or URL-encoded."""
        return sorted(n for n, v in self.known.items() if any(f in text for f in {v, quote(v, safe=""), quote_plus(v)}))


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every log record, from every logger, formatted with its traceback, into a string; logging restored after."""
    root = logging.getLogger()
    saved = (root.level, root.handlers[:], logging.getLogRecordFactory())
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(LINE))
    handler.setLevel(logging.DEBUG)
    root.addHandler(handler)
    yield stream
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    logging.setLogRecordFactory(saved[2])


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    """Entra ID, Partner Center and Graph, knowing the bot's and the partner's apps by this test's secrets."""
    server = EmulatorServer(EmulatorState(), tmp_path / "tls").start()
    server.state.apps = {BOT_APP_ID: "bot~" + secrets.token_urlsafe(30), demo.APP_ID: "pc." + secrets.token_urlsafe(30)}
    server.state.redirect_uris.add(f"{PUBLIC_URL}/auth/callback")
    yield server
    server.stop()


@pytest.fixture
def openid() -> Iterator[OpenIdServer]:
    """The channel's OpenID metadata and keys."""
    server = OpenIdServer(keys=[new_signing_key("teams-key-logs")]).start()
    yield server
    server.stop()
    JwtTokenExtractor.metadataCache.pop(server.metadata_url, None)


@pytest.fixture
async def desk(
    tmp_path: Path, connector: LocalConnector, emulator: EmulatorServer, openid: OpenIdServer, captured: io.StringIO
) -> AsyncIterator[SignedDesk]:
    """The app in production mode at DEBUG, its logging set up as at start-up."""
    apps = emulator.state.apps
    env = {
        **production_env(
            tmp_path,
            connector,
            emulator,
            openid.metadata_url,
            bot_password=apps[BOT_APP_ID],
            partner_secret=apps[demo.APP_ID],
        ),
        "TOKEN_CACHE_KEY": f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}",
        "PUBLIC_URL": PUBLIC_URL,
        "LOG_LEVEL": "DEBUG",
    }
    settings = Settings.from_env(env, env_file=None)
    configure_logging(settings)
    client = TestClient(TestServer(create_app(settings, FixedClock(OFFICE_HOURS))))
    await client.start_server()
    running = SignedDesk(client, connector, openid.keys[0])
    yield running
    await running.close()


async def sign_in(desk: SignedDesk, emulator: EmulatorServer, card: dict[str, Any], run: Secrets) -> None:
    """The technician opens the sign-in link: this app -> the emulator's Entra ID -> this app's callback."""
    link = next(a for a in card["actions"] if a["type"] == "Action.OpenUrl")["url"]
    pending = await desk.runtime.services.desk.peek_sign_in(urlparse(link).path.rsplit("/", 1)[-1])
    assert pending is not None
    run.add("PKCE verifier", pending.flow["code_verifier"])
    start = await desk.client.get(urlparse(link).path, allow_redirects=False)
    emulator.state.auto_sign_in_user = demo.PARTNER.users[0].aad_id
    async with httpx.AsyncClient(verify=str(emulator.tls.ca_cert)) as browser:
        answer = await browser.get(start.headers["Location"], follow_redirects=False)
    back = dict(parse_qsl(urlparse(answer.headers["location"]).query))
    run.add("authorization code", back["code"])
    page = await desk.client.get("/auth/callback", params=back)
    assert page.status == 200, await page.text()
    await desk.delivered()


async def the_whole_flow(desk: SignedDesk, emulator: EmulatorServer, connector: LocalConnector, run: Secrets) -> None:
    """Ticket, sign-in, escalation, service health, all answered through the connector with the bot's token."""
    technician = user(demo.PARTNER, 0)
    triage = Channel("19:team-support@thread.tacv2", "19:triage-channel@thread.tacv2", connector.url)
    await set_triage_channel(desk, triage, technician)
    ticket = await ticket_row(desk, await raise_ticket(desk, Chat(user(demo.FABRIKAM, 0), connector.url)))
    assert ticket["triage_activity_id"], "the triage card was posted"

    form = await open_form(desk, triage, technician, ticket)
    target = {**ticket, "number": draft_of(form)}
    prompt = await act(desk, triage, technician, "escalation.submit", target, form_values(form))
    await sign_in(desk, emulator, prompt["value"], run)
    await act(desk, triage, technician, "escalation.submit", target, form_values(form))
    sr_id = (await ticket_row(desk, ticket["number"]))["sr_id"]
    assert sr_id and emulator.state.service_requests.get(sr_id) is not None
    posted = card_text(thread_posts(desk, triage, ticket)[-1].cards[0])
    assert f"escalated the ticket to Microsoft: service request {sr_id}" in posted

    status, _ = await desk.send(triage.message(technician, "health fabrikam"))
    assert status == 201
    await desk.delivered()
    assert "Exchange Online" in card_text(connector.posts(triage.channel_id)[-1].cards[0])


async def test_no_secret_reaches_the_logs_at_debug(
    desk: SignedDesk, emulator: EmulatorServer, connector: LocalConnector, captured: io.StringIO
) -> None:
    run = Secrets()
    await the_whole_flow(desk, emulator, connector, run)
    await desk.runtime.services.spawner.drain()

    settings = desk.runtime.settings
    run.add("MicrosoftAppPassword", settings.bot.app_password)
    run.add("PARTNER_APP_SECRET", settings.api_client_secret)
    for place, key in enumerate(settings.token_cache_keys, start=1):
        run.add(f"TOKEN_CACHE_KEY {place}", key.decode())
    issued = emulator.state.grants.issued()
    for number, value in enumerate(issued, start=1):
        run.add(f"emulator-issued {value[:4]}… #{number}", value)
    for number, value in enumerate(desk.channel_tokens, start=1):
        run.add(f"channel token #{number}", value)
    text = captured.getvalue()

    # The run did what it says: tokens of every kind were issued and used, and the loggers that print them spoke.
    assert sum(v.startswith("eyJ") for v in issued) >= 3 and any(v.startswith("1.AR") for v in issued)
    assert emulator.state.requests("/login/botframework.com/oauth2/v2.0/token"), "the bot never fetched its token"
    for logger in ("msal.", "urllib3.", "httpx", "httpcore.", "aiohttp.access", "msrest."):
        assert f" {logger}" in text, f"nothing logged by {logger}"
    leaked = run.found_in(text)
    assert not leaked, f"{len(leaked)} of {len(run.known)} secrets in the logs: {', '.join(leaked)}"


@pytest.mark.parametrize("entry", ["main", "make_app"])
def test_both_entry_points_install_the_redaction(
    entry: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, captured: io.StringIO
) -> None:
    password, key = "pw~" + secrets.token_urlsafe(20), Fernet.generate_key().decode()
    environ = {"MicrosoftAppId": BOT_APP_ID, "MicrosoftAppPassword": password, "TOKEN_CACHE_KEY": key}
    environ |= {"PARTNER_TENANT_ID": demo.PARTNER.tenant_id, "DATA_DIR": str(tmp_path), "LOG_LEVEL": "DEBUG"}
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no stray .env
    served: list[object] = []
    monkeypatch.setattr(app.web, "run_app", lambda application, **options: served.append(application))

    app.main() if entry == "main" else app.make_app()

    logging.getLogger("msal.application").debug("secret=%s key=%s", password, key)
    assert captured.getvalue() == f"DEBUG msal.application: secret={REDACTED} key={REDACTED}\n"
    assert len(served) == (1 if entry == "main" else 0)
