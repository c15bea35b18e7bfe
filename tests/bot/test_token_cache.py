"""Validated inbound tokens are cached by their hash until shortly before they expire (Teams sends many activities
with one token), keyed with the activity's channel and serviceUrl so that those are still checked against the token
(its endorsements, its `serviceurl` claim) by the SDK's own validation whenever they differ; a token is never
trusted past its `exp`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import jwt
import pytest
from botframework.connector.auth import AuthenticateRequestResult, ClaimsIdentity, JwtTokenExtractor

from bot.edge.auth import GuardedAuthentication
from bot.edge.token_cache import ValidatedTokens
from tests.bot import test_authentication
from tests.bot.test_authentication import Production, assert_no_turn, table
from tests.support.activities import Chat
from tests.support.production import BOT_APP_ID
from tests.support.tokens import channel_claims, new_signing_key, sign

keys, openid, emulator, production = (
    test_authentication.keys,
    test_authentication.openid,
    test_authentication.emulator,
    test_authentication.production,
)


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every token the SDK validates (its JwtTokenExtractor checks the signature, issuer and lifetime)."""
    seen: list[str] = []
    original = JwtTokenExtractor.get_identity

    async def counting(self: JwtTokenExtractor, schema: str, parameter: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(parameter)
        return await original(self, schema, parameter, *args, **kwargs)

    monkeypatch.setattr(JwtTokenExtractor, "get_identity", counting)
    yield seen


class Clock:
    """Wall-clock seconds that move only when told, from now."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def authentication(production: Production) -> GuardedAuthentication:
    guarded = production.desk.runtime.adapter.bot_framework_authentication
    assert isinstance(guarded, GuardedAuthentication)
    return guarded


def on_clock(production: Production) -> Clock:
    """The production desk's token cache, on a clock the test moves."""
    clock = Clock()
    authentication(production).tokens = ValidatedTokens(clock=clock)
    return clock


async def test_a_reused_token_is_validated_once(production: Production, validations: list[str]) -> None:
    token = production.token()
    assert await production.post(production.chat.message("help"), token) == 201
    # Forget the SDK's copy of the channel's keys: validating again would fetch them again.
    JwtTokenExtractor.metadataCache.pop(production.openid.metadata_url, None)
    fetched = len(production.openid.requests())

    for _ in range(3):
        assert await production.post(production.chat.message("help"), token) == 201

    assert validations == [token]
    assert len(production.openid.requests()) == fetched
    await production.desk.delivered()
    assert len(await table(production.desk, "inbound_activities")) == 4


async def test_a_cached_token_is_checked_again_for_another_service_url(production: Production) -> None:
    token = production.token()
    assert await production.post(production.chat.message("help"), token) == 201
    production.connector.sent.clear()
    # Allowed by SERVICE_URL_ALLOWLIST (a path below the connector's URL), but not the URL the token was issued for.
    elsewhere = Chat(production.chat.sender, production.chat.service_url + "amer/")

    assert await production.post(elsewhere.message("help"), token) == 401
    await production.desk.delivered()
    assert production.connector.sent == []


async def test_a_cached_token_is_checked_again_for_another_channel(production: Production) -> None:
    token = production.token()
    assert await production.post(production.chat.message("help"), token) == 201
    production.connector.sent.clear()

    # The key that signed it is endorsed for msteams only.
    assert await production.post(production.chat.message("help", channelId="webchat"), token) == 401
    await production.desk.delivered()
    assert production.connector.sent == []


async def test_a_token_for_another_audience_is_refused_beside_a_cached_one(production: Production) -> None:
    assert await production.post(production.chat.message("help")) == 201
    cached = await table(production.desk, "inbound_activities")

    assert await production.post(production.chat.message("help"), production.token(aud="another-bot")) == 401
    assert await table(production.desk, "inbound_activities") == cached


async def test_the_cache_serves_a_token_until_a_minute_before_its_expiry(
    production: Production, validations: list[str]
) -> None:
    clock = on_clock(production)
    token = production.token(expires_in=300)
    assert await production.post(production.chat.message("help"), token) == 201
    clock.now += 300 - 61
    assert await production.post(production.chat.message("help"), token) == 201
    assert len(validations) == 1

    clock.now += 2
    assert await production.post(production.chat.message("help"), token) == 201  # the SDK still takes it
    assert len(validations) == 2


async def test_a_cached_token_is_refused_once_expired(
    production: Production, validations: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = on_clock(production)
    token = production.token()
    assert await production.post(production.chat.message("help"), token) == 201
    await production.desk.delivered()
    production.connector.sent.clear()

    later = 3600 + 301  # past the token's `exp` and the SDK's five minutes of leeway
    clock.now += later
    monkeypatch.setattr(jwt.api_jwt, "datetime", _shifted(later))
    assert await production.post(production.chat.message("help"), token) == 401
    assert len(validations) == 2
    await production.desk.delivered()
    assert production.connector.sent == []


def _shifted(seconds: float) -> type[datetime]:
    """A datetime class whose `now` is `seconds` ahead (PyJWT reads the time through it)."""

    class Shifted(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return datetime.now(tz) + timedelta(seconds=seconds)

    return Shifted


async def test_production_refuses_a_garbage_token_after_caching_a_good_one(production: Production) -> None:
    assert await production.post(production.chat.message("help")) == 201
    assert await production.post(production.chat.message("help"), "garbage") == 401


async def test_refused_tokens_are_not_cached(production: Production, validations: list[str]) -> None:
    claims = channel_claims(BOT_APP_ID, production.chat.service_url)
    forged = sign(claims, new_signing_key(production.keys.teams.kid))

    for _ in range(2):
        assert await production.post(production.chat.message("help"), forged) == 401
    assert len(validations) == 2
    await assert_no_turn(production.desk, production.connector)


# --- the cache on its own ------------------------------------------------------------------------------------------


def _result(claims: dict[str, Any]) -> AuthenticateRequestResult:
    result = AuthenticateRequestResult()
    result.claims_identity = ClaimsIdentity(claims, True, "Bearer")
    result.audience = "https://api.botframework.com"
    result.caller_id = "urn:botframework:azure"
    result.connector_factory = object()
    return result


URL = "https://smba.trafficmanager.net/emea/"


def test_a_hit_is_a_fresh_copy_of_the_validated_result() -> None:
    clock = Clock()
    tokens = ValidatedTokens(clock=clock)
    original = _result({"aud": "bot", "exp": clock.now + 3600, "serviceurl": URL})
    tokens.put("Bearer t", "msteams", URL, original)

    hit = tokens.get("Bearer t", "msteams", URL)
    assert hit is not None and hit is not original
    assert hit.claims_identity.claims == original.claims_identity.claims
    assert hit.claims_identity.claims is not original.claims_identity.claims
    assert hit.claims_identity.is_authenticated
    assert (hit.audience, hit.caller_id, hit.connector_factory) == (
        original.audience,
        original.caller_id,
        original.connector_factory,
    )
    hit.claims_identity.claims["aud"] = "changed"
    again = tokens.get("Bearer t", "msteams", URL)
    assert again is not None and again.claims_identity.claims["aud"] == "bot"


def test_a_hit_needs_the_same_token_channel_and_service_url() -> None:
    clock = Clock()
    tokens = ValidatedTokens(clock=clock)
    tokens.put("Bearer t", "msteams", URL, _result({"exp": clock.now + 3600}))

    assert tokens.get("Bearer t", "msteams", URL) is not None
    assert tokens.get("Bearer u", "msteams", URL) is None
    assert tokens.get("Bearer t", "webchat", URL) is None
    assert tokens.get("Bearer t", "msteams", URL + "x/") is None
    assert tokens.get("bearer t", "msteams", URL) is None


def test_a_token_without_a_usable_exp_or_near_it_is_not_cached() -> None:
    clock = Clock()
    tokens = ValidatedTokens(clock=clock)
    for exp in (None, "soon", clock.now + 59, clock.now - 100):
        claims = {} if exp is None else {"exp": exp}
        tokens.put(f"Bearer {exp}", "msteams", URL, _result(claims))
        assert tokens.get(f"Bearer {exp}", "msteams", URL) is None, exp
    assert len(tokens) == 0


def test_no_entry_outlives_an_hour_whatever_its_exp() -> None:
    clock = Clock()
    tokens = ValidatedTokens(clock=clock)
    tokens.put("Bearer t", "msteams", URL, _result({"exp": clock.now + 86_400}))
    clock.now += 3599
    assert tokens.get("Bearer t", "msteams", URL) is not None
    clock.now += 2
    assert tokens.get("Bearer t", "msteams", URL) is None


def test_the_cache_keeps_the_most_recently_used_tokens_only() -> None:
    clock = Clock()
    tokens = ValidatedTokens(size=2, clock=clock)
    for name in ("a", "b"):
        tokens.put(f"Bearer {name}", "msteams", URL, _result({"exp": clock.now + 3600}))
    assert tokens.get("Bearer a", "msteams", URL) is not None  # b is now the least recently used
    tokens.put("Bearer c", "msteams", URL, _result({"exp": clock.now + 3600}))

    assert len(tokens) == 2
    assert tokens.get("Bearer b", "msteams", URL) is None
    assert tokens.get("Bearer a", "msteams", URL) is not None
    assert tokens.get("Bearer c", "msteams", URL) is not None


def test_the_cache_keeps_no_token_in_the_clear() -> None:
    clock = Clock()
    tokens = ValidatedTokens(clock=clock)
    tokens.put("Bearer secret-token", "msteams", URL, _result({"exp": clock.now + 3600}))
    assert "secret-token" not in repr(tokens._entries)
