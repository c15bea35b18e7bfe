"""Inbound authentication, outbound bot token, serviceUrl allowlist and malformed requests, against the real app in
production mode: tokens signed with a local key published through a local OpenID metadata/JWKS server, the bot's
outbound token issued by the Microsoft API emulator."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from botframework.connector.auth import JwtTokenExtractor

from desk.env import SettingsError
from desk.settings import Settings
from emulator import demo
from emulator.server import EmulatorServer
from emulator.state import EmulatorState
from tests.support.activities import Chat, user
from tests.support.connector import LocalConnector
from tests.support.harness import Desk, start_desk
from tests.support.production import BOT_APP_ID, BOT_PASSWORD
from tests.support.production import production_env as shared_production_env
from tests.support.tokens import (
    OpenIdServer,
    RecordingServer,
    SigningKey,
    channel_claims,
    new_signing_key,
    sign,
    sign_hs256_with_public_key,
    unsigned,
)

BOT_TOKEN_PATH = "/login/botframework.com/oauth2/v2.0/token"


@dataclass(frozen=True)
class ChannelKeys:
    """The keys published in the local JWKS: one endorsed for Teams, one endorsed only for other channels (the Bot
    Framework's keys are endorsed per channel; a bot registration has Web Chat and Direct Line on by default)."""

    teams: SigningKey
    slack: SigningKey


@dataclass
class Production:
    """A desk running in production mode with its fakes."""

    desk: Desk
    connector: LocalConnector
    emulator: EmulatorServer
    openid: OpenIdServer
    keys: ChannelKeys
    chat: Chat

    def token(self, **overrides: Any) -> str:
        """A valid channel token for `chat` (claims overridable; None drops one)."""
        return sign(channel_claims(BOT_APP_ID, self.chat.service_url, **overrides), self.keys.teams)

    async def post(self, activity: dict[str, Any], token: str | None = None) -> int:
        """POST `activity` with `Authorization: Bearer <token>` (a fresh valid token by default)."""
        status, _ = await self.desk.send(activity, {"Authorization": f"Bearer {token or self.token()}"})
        return status


@pytest.fixture(scope="module")
def keys() -> ChannelKeys:
    """RSA keys are slow to make: one pair per module."""
    return ChannelKeys(
        new_signing_key("teams-key-1"), new_signing_key("slack-key-1", ("slack", "webchat", "directline"))
    )


@pytest.fixture
def openid(keys: ChannelKeys) -> Iterator[OpenIdServer]:
    """The channel's OpenID metadata and JWKS on a fresh port (a URL of its own in the SDK's class-level cache)."""
    server = OpenIdServer(keys=[keys.teams, keys.slack]).start()
    yield server
    server.stop()
    JwtTokenExtractor.metadataCache.pop(server.metadata_url, None)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    """Entra ID and Partner Center, with the bot's registration known to the login endpoint."""
    server = EmulatorServer(EmulatorState(), tmp_path / "tls").start()
    server.state.apps[BOT_APP_ID] = BOT_PASSWORD
    yield server
    server.stop()


def production_env(
    tmp_path: Path, connector: LocalConnector, emulator: EmulatorServer, openid: OpenIdServer
) -> dict[str, str]:
    """Production-mode environment: every Microsoft endpoint local, the connector allowed."""
    return shared_production_env(tmp_path, connector, emulator, openid.metadata_url)


@pytest.fixture
async def production(
    tmp_path: Path, connector: LocalConnector, emulator: EmulatorServer, openid: OpenIdServer, keys: ChannelKeys
) -> AsyncIterator[Production]:
    """The real app in production mode."""
    settings = Settings.from_env(production_env(tmp_path, connector, emulator, openid), env_file=None)
    assert not settings.local_mode
    desk = await start_desk(settings, connector)
    yield Production(desk, connector, emulator, openid, keys, Chat(user(demo.FABRIKAM, 0), connector.url))
    await desk.close()


async def table(desk: Desk, name: str) -> list[dict[str, Any]]:
    """Every row of a table of the desk's database."""
    return await desk.runtime.db.run(lambda cx: cx.all(f"SELECT * FROM {name}"))


async def assert_no_turn(desk: Desk, connector: LocalConnector) -> None:
    """No bot code ran: nothing was sent to the connector and nothing about the activity was stored."""
    await desk.delivered()
    assert connector.sent == []
    for name in ("inbound_activities", "conversations", "tickets", "drafts", "outbox"):
        assert await table(desk, name) == [], name


# Each forgery: the production fixture -> the Authorization header to send, or None for no header.
Forgery = Callable[[Production], str | None]


def _claims(p: Production, **overrides: Any) -> dict[str, Any]:
    return channel_claims(BOT_APP_ID, p.chat.service_url, **overrides)


FORGERIES: dict[str, Forgery] = {
    "missing header": lambda p: None,
    "garbage": lambda p: "Bearer not-a-jwt",
    "wrong scheme": lambda p: f"Basic {p.token()}",
    "expired an hour ago": lambda p: f"Bearer {p.token(expires_in=-3600)}",
    "signed by another key with the same kid": lambda p: (
        f"Bearer {sign(_claims(p), new_signing_key(p.keys.teams.kid))}"
    ),
    "unknown kid": lambda p: f"Bearer {sign(_claims(p), new_signing_key('unpublished-kid'))}",
    "wrong issuer": lambda p: f"Bearer {p.token(iss='https://sts.windows.net/attacker/')}",
    "wrong audience": lambda p: f"Bearer {p.token(aud='another-bots-app-id')}",
    "serviceurl claim missing": lambda p: f"Bearer {p.token(serviceurl=None)}",
    "serviceurl claim differs": lambda p: f"Bearer {p.token(serviceurl='https://smba.trafficmanager.net/emea/')}",
    "key not endorsed for the channel": lambda p: f"Bearer {sign(_claims(p), p.keys.slack)}",
    "HS256 with the public key as secret": lambda p: f"Bearer {sign_hs256_with_public_key(_claims(p), p.keys.teams)}",
    "alg none": lambda p: f"Bearer {unsigned(_claims(p), p.keys.teams.kid)}",
}


def test_the_issue_lists_thirteen_rejections() -> None:
    assert len(FORGERIES) == 13


@pytest.mark.parametrize("case", list(FORGERIES))
async def test_bad_credentials_get_401_and_no_turn(production: Production, case: str) -> None:
    activity = production.chat.message("help")
    header = FORGERIES[case](production)
    headers = {} if header is None else {"Authorization": header}

    status, _ = await production.desk.send(activity, headers)

    assert status == 401
    await assert_no_turn(production.desk, production.connector)
    assert production.emulator.state.requests(BOT_TOKEN_PATH) == []


async def test_valid_token_runs_the_turn(production: Production) -> None:
    status = await production.post(production.chat.message("help"))

    assert status == 201
    await production.desk.delivered()
    posts = production.connector.posts(production.chat.conversation_id)
    assert posts, "the bot did not answer"
    assert posts[-1].cards[0]["body"][0]["text"] == "Contoso Cloud Services support"
    assert len(await table(production.desk, "inbound_activities")) == 1
    assert production.openid.requests(), "the SDK never fetched the local OpenID metadata"


async def test_token_expired_within_the_five_minute_leeway_is_accepted(production: Production) -> None:
    status = await production.post(production.chat.message("help"), production.token(expires_in=-120))

    assert status == 201
    await production.desk.delivered()
    assert production.connector.posts(production.chat.conversation_id)


async def test_outbound_token_is_attached_and_fetched_once(production: Production) -> None:
    assert await production.post(production.chat.message("help")) == 201
    await production.desk.delivered()
    first_turn = len(production.connector.sent)
    assert await production.post(production.chat.message("help")) == 201
    await production.desk.delivered()

    sent = production.connector.sent
    assert 0 < first_turn < len(sent), "each turn should send at least one activity"
    headers = {s.authorization for s in sent}
    assert len(headers) == 1, headers
    scheme, _, token = headers.pop().partition(" ")
    assert scheme == "Bearer"
    claims = jwt.decode(
        token, production.emulator.state.signing_key, algorithms=["HS256"], audience="https://api.botframework.com"
    )
    assert claims["appid"] == BOT_APP_ID
    assert claims["tid"] == "botframework.com"
    token_requests = production.emulator.state.requests(BOT_TOKEN_PATH)
    assert [(r.method, r.status) for r in token_requests] == [("POST", 200)]


async def test_valid_token_for_a_service_url_outside_the_allowlist_is_refused(production: Production) -> None:
    trap = RecordingServer().start()
    try:
        elsewhere = Chat(production.chat.sender, trap.url)
        token = sign(channel_claims(BOT_APP_ID, trap.url), production.keys.teams)

        status = await production.post(elsewhere.message("help"), token)

        assert status == 403
        await assert_no_turn(production.desk, production.connector)
        assert trap.requests() == []
        assert production.emulator.state.requests(BOT_TOKEN_PATH) == []
    finally:
        trap.stop()


async def test_local_mode_refuses_a_service_url_outside_the_allowlist(desk: Desk) -> None:
    trap = RecordingServer().start()
    try:
        status, _ = await desk.send(Chat(user(demo.FABRIKAM, 0), trap.url).message("help"))

        assert status == 403
        await assert_no_turn(desk, desk.connector)
        assert trap.requests() == []
    finally:
        trap.stop()


@pytest.mark.parametrize("channel", ["webchat", "directline", "slack"])
async def test_production_refuses_every_channel_but_teams_with_403_and_no_turn(production: Production, channel: str):
    # A Web Chat or Direct Line client writes its own `from` and `channelData`: here it claims to be Alex, a
    # technician of the partner tenant. The Bot Framework's token for that channel is genuine.
    alex = Chat(user(demo.PARTNER, 0), production.chat.service_url)
    activity = alex.message("queue", channelId=channel)
    token = sign(channel_claims(BOT_APP_ID, alex.service_url), production.keys.slack)

    status = await production.post(activity, token)

    assert status == 403
    await assert_no_turn(production.desk, production.connector)
    assert await table(production.desk, "technicians") == []


async def test_production_refuses_a_bad_token_with_401_before_looking_at_the_channel(production: Production):
    status = await production.post(production.chat.message("help", channelId="webchat"), "not-a-jwt")

    assert status == 401
    await assert_no_turn(production.desk, production.connector)


@pytest.mark.parametrize("channel", ["webchat", "emulator", "sms"])
async def test_local_mode_keeps_accepting_the_playground_and_test_channels(desk: Desk, channel: str) -> None:
    chat = Chat(user(demo.FABRIKAM, 0), desk.connector.url)

    status, _ = await desk.send(chat.message("help", channelId=channel))

    assert status == 201
    await desk.delivered()
    assert desk.connector.posts(chat.conversation_id), "the bot answered"


def _without(activity: dict[str, Any], field: str) -> dict[str, Any]:
    return {name: value for name, value in activity.items() if name != field}


MALFORMED: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "invalid JSON": lambda a: json.dumps(a).encode()[:-7],
    "JSON array": lambda a: json.dumps([a]).encode(),
    "no type": lambda a: json.dumps(_without(a, "type")).encode(),
    "no serviceUrl": lambda a: json.dumps(_without(a, "serviceUrl")).encode(),
    "no conversation": lambda a: json.dumps(_without(a, "conversation")).encode(),
}


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_malformed_body_gets_400_and_no_turn(production: Production, case: str) -> None:
    body = MALFORMED[case](production.chat.message("help"))
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {production.token()}"}

    response = await production.desk.client.post("/api/messages", data=body, headers=headers)

    assert response.status == 400
    await assert_no_turn(production.desk, production.connector)


@pytest.mark.parametrize("content_type", [None, "text/plain"])
async def test_body_that_is_not_declared_json_gets_415(production: Production, content_type: str | None) -> None:
    body = json.dumps(production.chat.message("help")).encode()
    headers = {"Authorization": f"Bearer {production.token()}"}
    if content_type:
        headers["Content-Type"] = content_type

    response = await production.desk.client.post(
        "/api/messages", data=body, headers=headers, skip_auto_headers=["Content-Type"]
    )

    assert response.status == 415
    assert response.request_info.headers.get("Content-Type") == content_type
    await assert_no_turn(production.desk, production.connector)


def test_app_id_without_password_is_refused_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(
            {"MicrosoftAppId": BOT_APP_ID, "PARTNER_TENANT_ID": demo.PARTNER.tenant_id, "DATA_DIR": str(tmp_path)},
            env_file=None,
        )
    assert raised.value.variable == "MicrosoftAppPassword"
    assert "MicrosoftAppPassword" in str(raised.value)


def test_managed_identity_without_tenant_is_refused_at_start_up(tmp_path: Path) -> None:
    env = {
        "MicrosoftAppId": BOT_APP_ID,
        "MicrosoftAppType": "UserAssignedMSI",
        "PARTNER_TENANT_ID": demo.PARTNER.tenant_id,
        "DATA_DIR": str(tmp_path),
    }
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env, env_file=None)
    assert raised.value.variable == "MicrosoftAppTenantId"
    assert "MicrosoftAppTenantId" in str(raised.value)
