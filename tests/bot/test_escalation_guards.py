"""What escalation refuses, at the HTTP level against the emulator's Partner Center: a second filing for a ticket
that already has one, filing for a ticket no longer open, escalating with sign-in not configured, and marking a
ticket "escalated" without a service request."""

from __future__ import annotations

from emulator import demo
from tests.bot import test_escalation
from tests.bot.helpers import card_text, ticket_row
from tests.bot.test_escalation import draft_of, form_values, open_form, sign_in
from tests.bot.test_triage_actions import act
from tests.support.activities import user

ticket = test_escalation.ticket  # T-1001 in the triage channel, Microsoft's script off


async def submitted(desk, channel, technician, ticket, form, technician_aad_id):
    """Submit `form`, sign in when asked, submit again; returns the last answer's text."""
    target = {**ticket, "number": draft_of(form)}
    answer = await act(desk, channel, technician, "escalation.submit", target, form_values(form))
    if "Sign in to Partner Center" in card_text(answer["value"]):
        await sign_in(desk, answer["value"], technician_aad_id)
        answer = await act(desk, channel, technician, "escalation.submit", target, form_values(form))
    value = answer["value"]
    return value if isinstance(value, str) else card_text(value)


async def test_two_technicians_forms_file_one_service_request(desk, ticket, triage_channel, technician):
    second = user(demo.PARTNER, 1)
    mine = await open_form(desk, triage_channel, technician, ticket)
    theirs = await open_form(desk, triage_channel, second, ticket)
    assert draft_of(mine) != draft_of(theirs), "each technician has a form of their own"

    first = await submitted(desk, triage_channel, technician, ticket, mine, technician.aad_id)
    late = await submitted(desk, triage_channel, second, ticket, theirs, second.aad_id)

    filed = desk.runtime.emulator.state.service_requests.all()
    assert len(filed) == 1 and filed[0].id in first
    assert "already escalated" in late and filed[0].id in late
    stored = await ticket_row(desk, "T-1001")
    assert stored["sr_id"] == filed[0].id
    assert stored["sr_escalated_by"] == technician.aad_id, "the sync reads it with the filer's sign-in"


async def test_no_filing_for_a_ticket_resolved_meanwhile(desk, ticket, triage_channel, technician):
    form = await open_form(desk, triage_channel, technician, ticket)
    await act(desk, triage_channel, technician, "ticket.resolve", ticket, {"resolution": "Fixed by a restart."})
    said = await submitted(desk, triage_channel, technician, ticket, form, technician.aad_id)
    assert said == "T-1001 is Resolved; reopen it first."
    assert desk.runtime.emulator.state.service_requests.all() == []
    assert (await ticket_row(desk, "T-1001"))["sr_id"] is None


async def test_escalation_without_sign_in_configured_is_refused_plainly(desk, ticket, triage_channel, technician):
    form = await open_form(desk, triage_channel, technician, ticket)
    desk.runtime.services.signins = None  # as in production without TOKEN_CACHE_KEY
    for verb, target in (("ticket.escalate", ticket), ("escalation.submit", {**ticket, "number": draft_of(form)})):
        body = await act(desk, triage_channel, technician, verb, target, form_values(form))
        assert "Signing in to Partner Center is not configured" in str(body["value"]), verb
    assert desk.runtime.emulator.state.service_requests.all() == []


async def test_status_escalated_needs_a_service_request(desk, ticket, triage_channel, technician):
    body = await act(desk, triage_channel, technician, "ticket.status", ticket, {"new_status": "escalated"})
    assert "can't go from" in str(body["value"])
    assert (await ticket_row(desk, "T-1001"))["status"] == "new"


async def test_an_expired_sign_in_link_says_so_before_entra_and_is_forgotten(desk, ticket, triage_channel, technician):
    from urllib.parse import urlparse

    from tests.bot.helpers import rows

    form = await open_form(desk, triage_channel, technician, ticket)
    target = {**ticket, "number": draft_of(form)}
    prompt = await act(desk, triage_channel, technician, "escalation.submit", target, form_values(form))
    link = next(a for a in prompt["value"]["actions"] if a["type"] == "Action.OpenUrl")["url"]
    desk.runtime.services.clock.advance(minutes=16)  # a sign-in link lives 15 minutes

    answer = await desk.client.get(urlparse(link).path, allow_redirects=False)
    assert answer.status == 404 and "expired" in await answer.text()
    await desk.runtime.services.desk.housekeeping()
    assert await rows(desk, "SELECT state FROM sign_ins") == []


async def test_a_technician_taken_off_the_list_no_longer_lends_their_sign_in(
    tmp_path, connector, customer_chat, triage_channel, technician
):
    from tests.bot.helpers import raise_ticket, set_triage_channel
    from tests.support.harness import local_settings, start_desk

    alex, diego = demo.PARTNER.users[0].aad_id, demo.PARTNER.users[1].aad_id
    desk = await start_desk(local_settings(tmp_path, connector, TECHNICIANS=f"{alex},{diego}"), connector)
    try:
        desk.runtime.emulator.state.sr_script = []
        await set_triage_channel(desk, triage_channel, technician)
        row = await ticket_row(desk, await raise_ticket(desk, customer_chat))
        form = await open_form(desk, triage_channel, technician, row)
        await submitted(desk, triage_channel, technician, row, form, alex)
        assert (await desk.runtime.services.signins.any_token())[0] == alex
    finally:
        await desk.close()

    later = await start_desk(local_settings(tmp_path, connector, TECHNICIANS=diego), connector)
    try:
        assert await later.runtime.services.signins.any_token() is None
        assert await later.runtime.services.signins.any_token(alex) is None
    finally:
        await later.close()
