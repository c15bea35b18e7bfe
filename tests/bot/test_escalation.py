"""Escalating to Microsoft at the HTTP level, against the emulator's Partner Center and Entra ID: the form, the
technician's sign-in (authorization code + PKCE through this app's routes), filing the service request once,
keeping the ticket in step with it, notes, admin links, the support profile."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl, urlparse

import httpx
import pytest

from bot.jobs.sr_sync import sync_service_requests
from bot.jobs.support_profile import refresh_profile
from emulator import demo
from tests.bot.helpers import card_inputs, card_text, raise_ticket, rows, set_triage_channel, ticket_row
from tests.bot.test_triage_actions import act, thread_posts

MESSAGE = "application/vnd.microsoft.activity.message"


@pytest.fixture
async def ticket(desk, customer_chat, triage_channel, technician):
    """T-1001 (Exchange, linked to incident EX987654), in the triage channel; Microsoft's script switched off."""
    desk.runtime.emulator.state.sr_script = []
    await set_triage_channel(desk, triage_channel, technician)
    return await ticket_row(desk, await raise_ticket(desk, customer_chat))


async def open_form(desk, triage_channel, technician, ticket):
    """Press "Escalate to Microsoft"; returns the form the bot posted in the ticket's thread."""
    body = await act(desk, triage_channel, technician, "ticket.escalate", ticket)
    assert body == {"statusCode": 200, "type": MESSAGE, "value": "The escalation form is in the ticket's thread."}
    form = thread_posts(desk, triage_channel, ticket)[-1].cards[0]
    assert "Escalate T-1001 to Microsoft" in card_text(form)
    return form


def form_values(form):
    """What the form holds (as a technician would leave it)."""
    return {name: item.get("value", "") for name, item in card_inputs(form).items()}


def draft_of(form):
    return next(a for a in form["actions"] if a["verb"] == "escalation.submit")["data"]["id"]


async def sign_in(desk, card, technician_aad_id=demo.PARTNER.users[0].aad_id):
    """Open the card's sign-in link like a browser: this app -> Entra ID (the emulator) -> this app's callback."""
    link = next(a for a in card["actions"] if a["type"] == "Action.OpenUrl")["url"]
    start = await desk.client.get(urlparse(link).path, allow_redirects=False)
    assert start.status == 302
    authorize = start.headers["Location"]
    emulator = desk.runtime.emulator
    emulator.state.auto_sign_in_user = technician_aad_id
    async with httpx.AsyncClient(verify=str(emulator.tls.ca_cert)) as browser:
        answer = await browser.get(authorize, follow_redirects=False)
    assert answer.status_code in (302, 303), answer.text
    back = urlparse(answer.headers["location"])
    assert back.path == "/auth/callback"
    page = await desk.client.get("/auth/callback", params=dict(parse_qsl(back.query)))
    await desk.delivered()
    return page.status, await page.text()


async def test_escalation_needs_a_sign_in_and_keeps_the_form(desk, ticket, triage_channel, technician):
    form = await open_form(desk, triage_channel, technician, ticket)
    values = form_values(form)
    assert values["title"] == "T-1001: Mail is down"
    assert "Customer: Fabrikam, Inc. (tenant 9c4e2b7a-3d1f-4a8e-b6c5-2f0e1d3c4b01)" in values["description"]
    assert "Related Microsoft incident: EX987654" in values["description"]
    assert values["topic"] == "32444681", "the Exchange Online topic fits an Exchange ticket best"
    typed = {**values, "title": "T-1001: Mail is down for the Leeds office"}
    body = await act(desk, triage_channel, technician, "escalation.submit", {**ticket, "number": draft_of(form)}, typed)
    assert "Sign in to Partner Center" in card_text(body["value"])
    saved = await rows(desk, "SELECT fields, sr_id FROM escalations")
    assert saved[0]["sr_id"] is None and "for the Leeds office" in saved[0]["fields"]
    assert desk.runtime.emulator.state.service_requests.all() == []


async def test_sign_in_then_escalate_files_one_service_request(desk, ticket, triage_channel, technician, customer_chat):
    form = await open_form(desk, triage_channel, technician, ticket)
    draft = draft_of(form)
    values = {**form_values(form), "title": "T-1001: Mail is down for the Leeds office"}
    prompt = await act(desk, triage_channel, technician, "escalation.submit", {**ticket, "number": draft}, values)

    status, page = await sign_in(desk, prompt["value"])
    assert status == 200 and "You&#x27;re signed in" in page
    signed = [s for s in desk.connector.posts(triage_channel.channel_id) if s.cards]
    resume_card = signed[-1].cards[0]
    assert "You're signed in to Partner Center as alex@contosocloud.onmicrosoft.com" in card_text(resume_card)
    resumed = await act(desk, triage_channel, technician, "escalation.resume", {**ticket, "number": draft})
    assert form_values(resumed["value"])["title"] == "T-1001: Mail is down for the Leeds office", "form kept"

    first, second = await asyncio.gather(
        act(desk, triage_channel, technician, "escalation.submit", {**ticket, "number": draft}, values),
        act(desk, triage_channel, technician, "escalation.submit", {**ticket, "number": draft}, values),
    )
    filed = desk.runtime.emulator.state.service_requests.all()
    assert len(filed) == 1, "one service request however often the form is submitted"
    sr = filed[0]
    assert sr.title == "T-1001: Mail is down for the Leeds office" and sr.severity == "critical"
    texts = card_text(first["value"]) + card_text(second["value"])
    # The second click finds the first filing running (told at once, not held behind Partner Center) or filed.
    assert sr.id in texts and ("already escalated" in texts or "right now" in texts)
    stored = await ticket_row(desk, "T-1001")
    assert (stored["status"], stored["sr_id"], stored["sr_status"]) == ("escalated", sr.id, "open")
    card = [u for u in desk.connector.updates() if u.activity_id == ticket["triage_activity_id"]][-1]
    assert "Microsoft SR" in card_text(card.cards[0]) and sr.id in card_text(card.cards[0])
    told = [s.text for s in desk.connector.posts(customer_chat.conversation_id) if sr.id in s.text]
    assert told == [
        f"We've escalated your ticket T-1001 to Microsoft (Microsoft reference {sr.id}). We'll keep you posted here."
    ]
    everything_told = " ".join(card_text(s.body) for s in desk.connector.sent_to(customer_chat.conversation_id))
    assert "Diagnostics" not in everything_told and "tenant 9c4e2b7a" not in everything_told


async def test_token_cache_is_encrypted_at_rest(desk, ticket, triage_channel, technician, tmp_path):
    form = await open_form(desk, triage_channel, technician, ticket)
    prompt = await act(
        desk, triage_channel, technician, "escalation.submit", {**ticket, "number": draft_of(form)}, form_values(form)
    )
    await sign_in(desk, prompt["value"])
    stored = await rows(desk, "SELECT username, cache FROM user_tokens")
    assert stored[0]["username"] == "alex@contosocloud.onmicrosoft.com"
    # Every token Entra (the emulator) handed out for the sign-in is absent from the stored row and the database
    # files; only the key opens the cache.
    issued = [token for token in desk.runtime.emulator.state.grants.issued() if len(token) > 20]
    assert issued
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("desk.db*"))
    assert [t for t in issued if t in stored[0]["cache"] or t.encode() in raw] == []
    assert b"RefreshToken" not in raw and b"refresh_token" not in raw.lower()
    assert "refreshtoken" in (desk.runtime.services.desk.sealer.open(stored[0]["cache"]) or "").lower()


async def test_sign_out_forgets_the_tokens(desk, ticket, triage_channel, technician):
    form = await open_form(desk, triage_channel, technician, ticket)
    prompt = await act(
        desk, triage_channel, technician, "escalation.submit", {**ticket, "number": draft_of(form)}, form_values(form)
    )
    await sign_in(desk, prompt["value"])
    await desk.send(triage_channel.message(technician, "sign out"))
    assert "You're signed out of Partner Center" in desk.connector.posts(triage_channel.channel_id)[-1].text
    assert await rows(desk, "SELECT * FROM user_tokens") == []
    again = await act(
        desk, triage_channel, technician, "escalation.submit", {**ticket, "number": draft_of(form)}, form_values(form)
    )
    assert "Sign in to Partner Center" in card_text(again["value"])


async def test_sign_in_as_someone_else_is_refused(desk, ticket, triage_channel, technician):
    form = await open_form(desk, triage_channel, technician, ticket)
    prompt = await act(
        desk, triage_channel, technician, "escalation.submit", {**ticket, "number": draft_of(form)}, form_values(form)
    )
    status, page = await sign_in(desk, prompt["value"], technician_aad_id=demo.PARTNER.users[1].aad_id)
    assert status == 400 and "did not complete" in page
    assert await rows(desk, "SELECT * FROM user_tokens") == []


async def escalated(desk, ticket, triage_channel, technician):
    """Sign in and escalate T-1001; returns the service request id."""
    form = await open_form(desk, triage_channel, technician, ticket)
    draft = draft_of(form)
    prompt = await act(
        desk, triage_channel, technician, "escalation.submit", {**ticket, "number": draft}, form_values(form)
    )
    await sign_in(desk, prompt["value"])
    await act(desk, triage_channel, technician, "escalation.submit", {**ticket, "number": draft}, form_values(form))
    return (await ticket_row(desk, "T-1001"))["sr_id"]


async def test_service_request_kept_in_step_with_the_ticket(desk, ticket, triage_channel, technician):
    sr_id = await escalated(desk, ticket, triage_channel, technician)
    services = desk.runtime.services
    assert await sync_service_requests(services) == 0, "nothing new yet"
    desk.runtime.emulator.state.advance_service_request(
        sr_id, note="Please send the message trace.", status="attention_needed"
    )
    assert await sync_service_requests(services) == 1
    await desk.delivered()
    post = card_text(thread_posts(desk, triage_channel, ticket)[-1].cards[0])
    assert f"Microsoft service request {sr_id}: Open → Needs attention." in post
    assert "Microsoft Support: Please send the message trace." in post
    assert await sync_service_requests(services) == 0, "the same note is mirrored once"

    # The technician answers a minute later: the triage channel took 7 messages this second, Teams' limit for a thread,
    # and on the desk's standing clock the rest would wait for that second to pass.
    services.clock.advance(minutes=1)
    before = len(desk.connector.posts(triage_channel.channel_id))
    await desk.send(
        triage_channel.message(technician, "note Trace attached to the SR.", thread=ticket["triage_activity_id"])
    )
    # The turn's answer and the note's card (through the outbox, alongside the turn) reach the thread in either order.
    said = [post.text for post in desk.connector.posts(triage_channel.channel_id)[before:] if post.text]
    assert said == [f"Private note added to T-1001 and to Microsoft service request {sr_id}."]
    notes = desk.runtime.emulator.state.service_requests.get(sr_id).notes
    assert notes[-1].text == "Trace attached to the SR."
    assert await sync_service_requests(services) == 1  # Microsoft's side moved back to open after our note
    await desk.delivered()
    assert "Trace attached" not in card_text(thread_posts(desk, triage_channel, ticket)[-1].cards[0]), (
        "ours, not Microsoft's"
    )

    desk.runtime.emulator.state.advance_service_request(sr_id, note="Fixed on our side.", status="closed")
    assert await sync_service_requests(services) == 1
    await desk.delivered()
    closing = card_text(thread_posts(desk, triage_channel, ticket)[-1].cards[0])
    assert f"Microsoft closed service request {sr_id}" in closing and "resolve the ticket" in closing
    assert (await ticket_row(desk, "T-1001"))["sr_status"] == "closed"
    assert await sync_service_requests(services) == 0, "closed requests are no longer polled"


async def test_note_on_an_escalated_ticket_without_sign_in(desk, ticket, triage_channel, technician):
    sr_id = await escalated(desk, ticket, triage_channel, technician)
    await desk.send(triage_channel.message(technician, "sign out"))
    await desk.send(triage_channel.message(technician, "note T-1001 Called Microsoft."))
    # The note's own card goes to the ticket's thread through the outbox, before or after the turn's answer.
    said = [post.text for post in desk.connector.posts(triage_channel.channel_id) if post.text][-1]
    assert said.startswith("Private note added to T-1001. Sign in") and sr_id in said


async def test_escalation_form_says_which_support_applies(
    tmp_path, connector, customer_chat, triage_channel, technician
):
    from tests.support.harness import local_settings, start_desk

    desk = await start_desk(local_settings(tmp_path, connector, SUPPORT_PLAN="advanced"), connector)
    try:
        desk.runtime.emulator.state.sr_script = []
        await set_triage_channel(desk, triage_channel, technician)
        ticket = await ticket_row(desk, await raise_ticket(desk, customer_chat))
        form = await open_form(desk, triage_channel, technician, ticket)
        assert "technical support under your Advanced Support for Partners plan" in card_text(form)
    finally:
        await desk.close()


async def test_without_a_plan_the_form_says_what_that_means(desk, ticket, triage_channel, technician):
    form = await open_form(desk, triage_channel, technician, ticket)
    assert "no Microsoft technical support plan" in card_text(form)


async def test_admin_shows_portal_links_and_subscriptions(desk, triage_channel, technician):
    # Partner Center gives the portal links to App+User tokens only: the technician signs in first.
    await desk.send(triage_channel.message(technician, "sign in"))
    await sign_in(desk, desk.connector.posts(triage_channel.channel_id)[-1].cards[0])
    await desk.send(triage_channel.message(technician, "admin fabrikam"))
    card = desk.connector.posts(triage_channel.channel_id)[-1].cards[0]
    text = card_text(card)
    assert "Service management · Fabrikam, Inc." in text
    assert "Microsoft 365 admin center" in text and "Microsoft 365 Business Premium" in text
    links = [a["url"] for block in card["body"] if block.get("type") == "ActionSet" for a in block["actions"]]
    assert links and all(url.startswith("https://") for url in links)
    assert any("partner.microsoft.com/dashboard/v2/customers/9c4e2b7a" in a.get("url", "") for a in card["actions"])


async def test_customers_lists_open_ticket_counts(desk, ticket, triage_channel, technician):
    await desk.send(triage_channel.message(technician, "customers"))
    text = card_text(desk.connector.posts(triage_channel.channel_id)[-1].cards[0])
    assert "Customers (4)" in text and "1 open" in text
    assert text.index("Fabrikam, Inc.") < text.index("Northwind Traders"), "customers with open tickets first"


async def test_support_profile_from_partner_center_after_a_sign_in(
    desk, ticket, triage_channel, technician, customer_chat
):
    services = desk.runtime.services
    assert await refresh_profile(services) is False, "nobody signed in yet: settings only"
    await escalated(desk, ticket, triage_channel, technician)
    assert await refresh_profile(services) is True
    await desk.send(customer_chat.message("support"))
    text = card_text(desk.connector.posts(customer_chat.conversation_id)[-1].cards[0])
    assert "support@contosocloud.com" in text and "+1 425 555 0142" in text
    assert "Mon-Fri 08:00-18:00" in text and "£95/h" in text, "hours and pricing still from settings"


async def test_device_code_sign_in_where_no_redirect_reaches_the_app(
    tmp_path, connector, customer_chat, triage_channel, technician
):
    from tests.support.harness import local_settings, start_desk

    desk = await start_desk(local_settings(tmp_path, connector, SIGN_IN_FLOW="device"), connector)
    try:
        emulator = desk.runtime.emulator
        emulator.state.device_interval = 1
        await set_triage_channel(desk, triage_channel, technician)
        await desk.send(triage_channel.message(technician, "sign in"))
        card = desk.connector.posts(triage_channel.channel_id)[-1].cards[0]
        facts = {
            f["title"]: f["value"] for node in card["body"] if node.get("type") == "FactSet" for f in node["facts"]
        }
        assert facts["Address"].endswith("/login/device") and facts["Code"]
        assert not [a for a in card.get("actions", []) if a["type"] == "Action.OpenUrl"], "no link back to this app"
        async with httpx.AsyncClient(verify=str(emulator.tls.ca_cert)) as browser:
            approved = await browser.post(
                f"{emulator.base_url}/_emulator/device/approve",
                json={"user_code": facts["Code"], "aad_id": demo.PARTNER.users[0].aad_id},
            )
        assert approved.status_code < 300
        await desk.runtime.services.spawner.drain()
        await desk.delivered()
        done = card_text(desk.connector.posts(triage_channel.channel_id)[-1].cards[0])
        assert "You're signed in to Partner Center as alex@contosocloud.onmicrosoft.com" in done
        assert [r["username"] for r in await rows(desk, "SELECT username FROM user_tokens")] == [
            "alex@contosocloud.onmicrosoft.com"
        ]
    finally:
        await desk.close()


async def test_repeated_device_sign_ins_keep_one_wait_and_the_bot_responsive(
    tmp_path, connector, triage_channel, technician
):
    # Each pending device code blocks a thread for up to 15 minutes: on asyncio's shared pool 40 of them would
    # leave no thread for the app's own token calls. A newer code stops the older wait, on a pool of its own.
    from tests.support.harness import local_settings, start_desk

    desk = await start_desk(local_settings(tmp_path, connector, SIGN_IN_FLOW="device"), connector)
    try:
        emulator = desk.runtime.emulator
        emulator.state.device_interval = 1
        await set_triage_channel(desk, triage_channel, technician)

        async def sign_in_forty_times() -> None:
            for _ in range(40):
                await desk.send(triage_channel.message(technician, "sign in"))

        await asyncio.wait_for(sign_in_forty_times(), timeout=60)
        card = desk.connector.posts(triage_channel.channel_id)[-1].cards[0]
        code = next(
            f["value"] for node in card["body"] if node.get("type") == "FactSet" for f in node["facts"]
            if f["title"] == "Code"
        )  # fmt: skip

        await asyncio.wait_for(desk.send(triage_channel.message(technician, "health fabrikam")), timeout=15)
        assert "Fabrikam, Inc." in card_text(desk.connector.posts(triage_channel.channel_id)[-1].cards[0])

        async with httpx.AsyncClient(verify=str(emulator.tls.ca_cert)) as browser:
            await browser.post(
                f"{emulator.base_url}/_emulator/device/approve",
                json={"user_code": code, "aad_id": demo.PARTNER.users[0].aad_id},
            )
        await desk.runtime.services.spawner.drain()
        await desk.delivered()
        said = [s.text for s in desk.connector.posts(triage_channel.channel_id) if s.text]
        assert not [text for text in said if "did not complete" in text], "stopped waits are not failures"
        done = card_text(desk.connector.posts(triage_channel.channel_id)[-1].cards[0])
        assert "You're signed in to Partner Center as alex@contosocloud.onmicrosoft.com" in done
    finally:
        await desk.close()
