"""A technician's App+User token is refreshed once when several calls need it at the same moment (the real
UserSignIn against the real emulator over HTTPS)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator import demo
from emulator.state import Fault
from msapi.delegated import SignInRequired
from tests.msapi.signin_rig import TECHNICIAN, SignInRig, claims

pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended:UserWarning")
TOKEN_PATH = f"/login/{demo.PARTNER.tenant_id}/oauth2/v2.0/token"


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[SignInRig]:
    """The emulator and a recorder of MSAL's requests."""
    running = SignInRig.start(tmp_path)
    yield running
    running.server.stop()


async def test_concurrent_calls_with_one_expired_cache_refresh_once(rig: SignInRig) -> None:
    rig.state.user_token_lifetime = 120  # under MSAL's five-minute margin: expired for it at once
    client = rig.client()
    signed = await rig.sign_in(client)
    # The refresh is slow, so the second call arrives while it is in flight.
    rig.state.inject(Fault(path=TOKEN_PATH, status=0, delay=0.5))

    first, second = await asyncio.gather(client.token(signed.cache), client.token(signed.cache))

    assert rig.token_grants() == [("authorization_code", 200), ("refresh_token", 200)]
    assert first == second and first[1] is not None
    assert claims(first[0])["oid"] == TECHNICIAN.aad_id


async def test_a_refused_refresh_reaches_every_waiter(rig: SignInRig) -> None:
    rig.state.user_token_lifetime = 120
    client = rig.client()
    signed = await rig.sign_in(client)
    rig.state.revoked_users.add(TECHNICIAN.aad_id)
    rig.state.inject(Fault(path=TOKEN_PATH, status=0, delay=0.5))

    outcomes = await asyncio.gather(client.token(signed.cache), client.token(signed.cache), return_exceptions=True)

    assert [type(outcome) for outcome in outcomes] == [SignInRequired, SignInRequired]
    assert rig.token_grants() == [("authorization_code", 200), ("refresh_token", 400)]
