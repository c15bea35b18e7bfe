"""Technicians' sign-in with the authorization code and PKCE, and their App+User tokens from the cache: the real
UserSignIn (MSAL) against the real emulator over HTTPS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from emulator import demo
from emulator.state import Fault
from msapi.delegated import SignInRequired
from msapi.errors import TokenError
from msapi.partner_center import PartnerCenterClient
from msapi.tokens import TokenProvider
from msapi.transport import http_client, msal_session
from tests.msapi.signin_rig import REDIRECT_URI, TECHNICIAN, SignInRig, claims, pick_account, redirect_query

# UserSignIn asks for the answer in the query on purpose (see msapi.delegated); pytest resets warning filters.
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended:UserWarning")


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[SignInRig]:
    """The emulator and a recorder of MSAL's requests."""
    running = SignInRig.start(tmp_path)
    yield running
    running.server.stop()


async def test_auth_code_round_trip_signs_in_the_chosen_user(rig: SignInRig) -> None:
    client = rig.client()
    flow = await client.start_auth_code(REDIRECT_URI)
    stored = json.loads(json.dumps(flow))  # the caller keeps it in its database between the two steps
    request = {k: v[0] for k, v in parse_qs(urlsplit(flow["auth_uri"]).query).items()}
    assert request["code_challenge_method"] == "S256" and request["code_challenge"] and request["nonce"]
    assert request["state"] == flow["state"] and request["redirect_uri"] == REDIRECT_URI

    async with rig.browser() as browser:
        page = await browser.get(flow["auth_uri"])
        assert "Microsoft 365 sign-in (local emulator)" in page.text
        assert all(user.name in page.text for user in demo.PARTNER.users)
        answer = await pick_account(browser, flow["auth_uri"], TECHNICIAN)
    signed = await client.finish_auth_code(stored, answer)

    assert answer["state"] == flow["state"] and answer["code"] and answer["session_state"]
    assert (signed.username, signed.name, signed.oid) == (TECHNICIAN.email, TECHNICIAN.name, TECHNICIAN.aad_id)
    accounts = json.loads(signed.cache)["Account"]
    assert [a["username"] for a in accounts.values()] == [TECHNICIAN.email]
    redeemed = next(s.form for s in rig.sent if s.form.get("grant_type") == "authorization_code")
    assert redeemed["code_verifier"] == flow["code_verifier"] and redeemed["redirect_uri"] == REDIRECT_URI


async def test_login_hint_or_auto_sign_in_skips_the_account_picker(rig: SignInRig) -> None:
    client = rig.client()
    hinted = await client.start_auth_code(REDIRECT_URI)
    rig.state.auto_sign_in_user = demo.PARTNER.users[3].aad_id
    automatic = await client.start_auth_code(REDIRECT_URI)

    async with rig.browser() as browser:
        by_hint = redirect_query(await browser.get(hinted["auth_uri"] + f"&login_hint={demo.PARTNER.users[4].email}"))
        by_setting = redirect_query(await browser.get(automatic["auth_uri"]))

    assert (await client.finish_auth_code(hinted, by_hint)).oid == demo.PARTNER.users[4].aad_id
    assert (await client.finish_auth_code(automatic, by_setting)).oid == demo.PARTNER.users[3].aad_id


async def test_tampered_code_verifier_is_refused_and_burns_the_code(rig: SignInRig) -> None:
    client = rig.client()
    flow = await client.start_auth_code(REDIRECT_URI)
    async with rig.browser() as browser:
        answer = await pick_account(browser, flow["auth_uri"], TECHNICIAN)

    with pytest.raises(TokenError) as tampered:
        await client.finish_auth_code({**flow, "code_verifier": "x" * 43}, answer)
    with pytest.raises(TokenError) as replayed:
        await client.finish_auth_code(flow, answer)

    assert tampered.value.code == "invalid_grant 501481" and "code_verifier" in str(tampered.value)
    assert replayed.value.code == "invalid_grant 54005"


async def test_tampered_state_is_refused_before_any_token_request(rig: SignInRig) -> None:
    client = rig.client()
    flow = await client.start_auth_code(REDIRECT_URI)
    async with rig.browser() as browser:
        answer = await pick_account(browser, flow["auth_uri"], TECHNICIAN)

    with pytest.raises(TokenError) as caught:
        await client.finish_auth_code(flow, {**answer, "state": "forged"})

    assert caught.value.code == "state" and "does not match" in str(caught.value)
    assert rig.token_grants() == []


async def test_cancel_on_the_page_comes_back_as_access_denied(rig: SignInRig) -> None:
    client = rig.client()
    flow = await client.start_auth_code(REDIRECT_URI)
    async with rig.browser() as browser:
        answer = redirect_query(await browser.post(flow["auth_uri"], data={"cancel": "1"}))

    with pytest.raises(TokenError) as caught:
        await client.finish_auth_code(flow, answer)

    assert answer["error"] == "access_denied" and caught.value.code == "access_denied"


async def test_unknown_app_or_unregistered_redirect_gets_an_error_page(rig: SignInRig) -> None:
    client = rig.client()
    registered = "https://desk.contoso.example/auth/callback"
    rig.state.redirect_uris.add(registered)
    flows = [await client.start_auth_code(uri) for uri in ("https://evil.example/cb", registered)]
    unknown_app = flows[1]["auth_uri"].replace(demo.APP_ID, "00000000-0000-0000-0000-000000000000")

    async with rig.browser() as browser:
        refused = await browser.get(flows[0]["auth_uri"])
        stranger = await browser.get(unknown_app)
        accepted = await browser.get(flows[1]["auth_uri"])

    assert refused.status_code == 400 and "AADSTS50011" in refused.text
    assert stranger.status_code == 400 and "AADSTS700016" in stranger.text
    assert accepted.status_code == 200


async def test_token_comes_from_the_cache_while_valid(rig: SignInRig) -> None:
    client = rig.client()
    signed = await rig.sign_in(client)
    before = len(rig.token_grants())

    token, renewed = await client.token(signed.cache)
    again, _ = await client.token(signed.cache)

    seen = claims(token)
    assert seen["idtyp"] == "user" and seen["scp"] == "user_impersonation" and seen["upn"] == TECHNICIAN.email
    assert seen["aud"] == "https://api.partnercenter.microsoft.com" and seen["tid"] == demo.PARTNER.tenant_id
    assert renewed is None and again == token
    assert len(rig.token_grants()) == before == 1


async def test_expired_token_is_refreshed_then_revocation_requires_sign_in(rig: SignInRig) -> None:
    rig.state.user_token_lifetime = 120  # under MSAL's five-minute margin: expired for it at once
    client = rig.client()
    signed = await rig.sign_in(client)

    token, renewed = await client.token(signed.cache)
    assert rig.token_grants() == [("authorization_code", 200), ("refresh_token", 200)]
    assert renewed is not None and renewed != signed.cache
    assert claims(token)["oid"] == TECHNICIAN.aad_id

    rig.state.revoked_users.add(TECHNICIAN.aad_id)
    with pytest.raises(SignInRequired) as caught:
        await client.token(renewed)
    assert caught.value.code == "invalid_grant 50173"

    fresh = await rig.sign_in(client)  # signing in again is what Entra asked for
    assert (await client.token(fresh.cache))[0]
    assert rig.token_grants()[-2:] == [("authorization_code", 200), ("refresh_token", 200)]


async def test_entra_failing_during_refresh_is_not_a_sign_out(rig: SignInRig) -> None:
    rig.state.user_token_lifetime = 120
    client = rig.client()
    signed = await rig.sign_in(client)
    rig.state.inject(Fault(path=f"/login/{demo.PARTNER.tenant_id}/oauth2/v2.0/token", status=503))

    with pytest.raises(TokenError) as caught:
        await client.token(signed.cache)

    assert not isinstance(caught.value, SignInRequired) and caught.value.status == 503


async def test_entra_answering_a_refresh_with_a_body_that_is_not_json_is_a_token_error(rig: SignInRig) -> None:
    rig.state.user_token_lifetime = 120
    client = rig.client()
    signed = await rig.sign_in(client)
    rig.state.inject(Fault(path=f"/login/{demo.PARTNER.tenant_id}/oauth2/v2.0/token", status=200, raw='{"access'))

    with pytest.raises(TokenError) as caught:  # MSAL's json.loads would raise ValueError past every caller
        await client.token(signed.cache)

    assert not isinstance(caught.value, SignInRequired) and caught.value.code == "malformed"


async def test_empty_accountless_or_garbled_cache_requires_sign_in(rig: SignInRig) -> None:
    client = rig.client()

    for cache in ("", "{}", "not json"):
        with pytest.raises(SignInRequired):
            await client.token(cache)
    assert rig.token_grants() == []


async def test_partner_center_accepts_the_signed_in_technicians_token(rig: SignInRig) -> None:
    signed = await rig.sign_in(rig.client())
    token, _ = await rig.client().token(signed.cache)
    app_tokens = TokenProvider(
        demo.APP_ID, demo.APP_SECRET, f"{rig.server.base_url}/login", msal_session(rig.bundle), False
    )
    http = http_client(str(rig.server.tls.ca_cert))
    try:
        base, scope = f"{rig.server.base_url}/partnercenter", "https://api.partnercenter.microsoft.com/.default"
        partner_center = PartnerCenterClient(http, app_tokens, base, scope, partner_tenant_id=demo.PARTNER.tenant_id)
        created = await partner_center.create_service_request(
            token, title="t", description="d", severity="minimal", support_topic_id="32444681", request_id="e2e-1"
        )
    finally:
        await http.aclose()
    assert created.id and [s.id for s in rig.state.service_requests.all()] == [created.id]
