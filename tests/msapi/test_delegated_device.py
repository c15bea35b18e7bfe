"""Technicians' sign-in with a device code: the real UserSignIn (MSAL) polling the real emulator over HTTPS while
the user approves on the emulator's pages or through its control route."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator import demo
from msapi.errors import TokenError
from tests.msapi.signin_rig import TECHNICIAN, SignInRig, claims

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[SignInRig]:
    """The emulator (device codes polled every second) and a recorder of MSAL's requests."""
    running = SignInRig.start(tmp_path)
    yield running
    running.server.stop()


async def approve_later(rig: SignInRig, user_code: str, user: demo.DemoUser, delay: float = 1.5) -> None:
    """The user enters the code after `delay` seconds (through the emulator's control route)."""
    await asyncio.sleep(delay)
    async with rig.browser() as browser:
        answer = await browser.post(
            f"{rig.server.base_url}/_emulator/device/approve", json={"user_code": user_code, "aad_id": user.aad_id}
        )
    assert answer.status_code == 200, answer.text


async def test_device_flow_round_trip_with_the_control_route(rig: SignInRig) -> None:
    client = rig.client()
    flow = await client.start_device_flow()
    assert flow["verification_uri"] == f"{rig.server.base_url}/login/device"
    assert flow["user_code"] in flow["message"] and flow["interval"] == 1 and flow["expires_in"] == 900

    signed, _ = await asyncio.gather(client.finish_device_flow(flow), approve_later(rig, flow["user_code"], TECHNICIAN))

    assert (signed.username, signed.oid) == (TECHNICIAN.email, TECHNICIAN.aad_id)
    polls = [status for grant, status in rig.token_grants() if grant == DEVICE_GRANT]
    assert polls[-1] == 200 and set(polls[:-1]) == {400} and len(polls) >= 2  # authorization_pending first
    token, renewed = await client.token(signed.cache)
    assert claims(token)["idtyp"] == "user" and claims(token)["upn"] == TECHNICIAN.email and renewed is None


async def test_device_flow_approved_on_the_emulator_pages(rig: SignInRig) -> None:
    client = rig.client()
    flow = await client.start_device_flow()
    user = demo.PARTNER.users[5]

    async def enter_code() -> None:
        async with rig.browser() as browser:
            page = flow["verification_uri"]
            assert "Enter code" in (await browser.get(page)).text
            wrong = await browser.post(page, data={"user_code": "NOTACODE1"})
            picker = await browser.post(page, data={"user_code": flow["user_code"].lower()})
            done = await browser.post(page, data={"user_code": flow["user_code"], "user": user.aad_id})
        assert wrong.status_code == 400 and "Check the code and try again" in wrong.text
        assert all(u.email in picker.text for u in demo.PARTNER.users)
        assert "You have signed in" in done.text

    signed, _ = await asyncio.gather(client.finish_device_flow(flow), enter_code())

    assert signed.oid == user.aad_id


async def test_device_code_that_nobody_enters_expires(rig: SignInRig) -> None:
    rig.state.device_code_lifetime = 2
    client = rig.client()
    flow = await client.start_device_flow()
    started = time.monotonic()

    with pytest.raises(TokenError) as caught:
        await client.finish_device_flow(flow)

    assert caught.value.code.startswith("expired_token")
    assert time.monotonic() - started < 5


async def test_declined_device_sign_in_is_refused(rig: SignInRig) -> None:
    client = rig.client()
    flow = await client.start_device_flow()

    async def decline() -> None:
        await asyncio.sleep(1.2)
        async with rig.browser() as browser:
            await browser.post(flow["verification_uri"], data={"user_code": flow["user_code"], "cancel": "1"})

    results = await asyncio.gather(client.finish_device_flow(flow), decline(), return_exceptions=True)

    assert isinstance(results[0], TokenError) and results[0].code.startswith("authorization_declined")


async def test_cancelling_the_wait_stops_the_polling(rig: SignInRig) -> None:
    client = rig.client()
    flow = await client.start_device_flow()
    waiting = asyncio.create_task(client.finish_device_flow(flow))
    await asyncio.sleep(1.2)

    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.sleep(1.2)  # the polling thread sees the stop between its one-second steps
    polls = len(rig.token_grants())
    await asyncio.sleep(1.6)

    assert polls >= 1 and len(rig.token_grants()) == polls


async def test_device_code_of_an_unknown_app_is_refused(rig: SignInRig) -> None:
    async with rig.browser() as browser:
        answer = await browser.post(
            f"{rig.server.base_url}/login/{demo.PARTNER.tenant_id}/oauth2/v2.0/devicecode",
            data={"client_id": "00000000-0000-0000-0000-000000000000", "scope": "openid"},
        )
        unknown = await browser.post(
            f"{rig.server.base_url}/_emulator/device/approve", json={"user_code": "ZZZZZZZZZ", "aad_id": "x"}
        )

    assert answer.status_code == 400 and answer.json()["error"] == "unauthorized_client"
    assert unknown.status_code == 404
