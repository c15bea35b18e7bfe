"""Escalation when things go wrong between the desk and Partner Center, at the HTTP level against the emulator: a
service request filed while the ticket changed always lands on the ticket, and a retried submit (a double click,
Teams redelivering, a second instance, an answer lost after Partner Center filed) never files a second one."""

from __future__ import annotations

from emulator import demo
from emulator.state import Fault
from tests.bot import test_escalation
from tests.bot.helpers import card_text, rows, ticket_row
from tests.bot.test_escalation import draft_of, form_values, open_form, sign_in
from tests.bot.test_triage_actions import act, thread_posts
from tests.support.activities import user

ticket = test_escalation.ticket  # T-1001 in the triage channel, Microsoft's script off
CREATE = "/partnercenter/v1/servicerequests/en-US"  # POST: file a service request (agent locale en-US)


def answer_lost_after_filing() -> Fault:
    """Partner Center files the request, but every answer to the desk (retries included) is a 503."""
    return Fault(path=CREATE, status=503, retry_after="0", times=-1, after_handling=True)


async def signed_in_form(desk, channel, who, ticket):
    """`who` opens the escalation form and signs in to Partner Center (nothing is filed yet); returns the form."""
    form = await open_form(desk, channel, who, ticket)
    prompt = await act(desk, channel, who, "escalation.submit", {**ticket, "number": draft_of(form)}, form_values(form))
    assert "Sign in to Partner Center" in card_text(prompt["value"])
    await sign_in(desk, prompt["value"], who.aad_id)
    return form


async def submit(desk, channel, who, ticket, form) -> str:
    """Press the form's submit; returns what the technician is told."""
    body = await act(desk, channel, who, "escalation.submit", {**ticket, "number": draft_of(form)}, form_values(form))
    value = body["value"]
    return value if isinstance(value, str) else card_text(value)


def filed(desk):
    return desk.runtime.emulator.state.service_requests.all()


def request_ids(desk) -> list[str]:
    """The MS-RequestId of every create the desk sent."""
    return [seen.headers["MS-RequestId"] for seen in desk.runtime.emulator.state.requests(CREATE, "POST")]


async def test_a_request_filed_while_the_ticket_was_resolved_lands_on_the_ticket(
    desk, ticket, triage_channel, technician, customer_chat
):
    form = await signed_in_form(desk, triage_channel, technician, ticket)
    colleague = user(demo.PARTNER, 1)
    partner_center = desk.runtime.services.partner_center
    file_request = partner_center.create_service_request

    async def filed_then_resolved(*args, **kwargs):
        request = await file_request(*args, **kwargs)
        # Before Partner Center's answer reaches the desk, a colleague (maybe on another instance) resolves it.
        await act(desk, triage_channel, colleague, "ticket.resolve", ticket, {"resolution": "Fixed by a restart."})
        return request

    partner_center.create_service_request = filed_then_resolved
    said = await submit(desk, triage_channel, technician, ticket, form)

    (sr,) = filed(desk)
    stored = await ticket_row(desk, "T-1001")
    assert (stored["sr_id"], stored["sr_status"], stored["sr_escalated_by"]) == (sr.id, "open", technician.aad_id)
    assert stored["status"] == "resolved", "a resolution is a person's decision: linked, not reopened"
    assert sr.id in said and "Resolved" in said
    kinds = [r["kind"] for r in await rows(desk, "SELECT kind FROM ticket_events ORDER BY id")]
    assert kinds[-1] == "sr_filed_late"
    post = card_text(thread_posts(desk, triage_channel, ticket)[-1].cards[0])
    assert f"Microsoft service request {sr.id} was filed for T-1001 after it was Resolved" in post
    assert not [s for s in desk.connector.posts(customer_chat.conversation_id) if sr.id in (s.text or "")], (
        "the customer, told it is resolved, is not told it was escalated"
    )


async def test_a_retry_after_an_unconfirmed_filing_links_the_request_even_on_a_resolved_ticket(
    desk, ticket, triage_channel, technician
):
    form = await signed_in_form(desk, triage_channel, technician, ticket)
    desk.runtime.emulator.state.inject(answer_lost_after_filing())
    unconfirmed = await submit(desk, triage_channel, technician, ticket, form)
    assert len(filed(desk)) == 1 and (await ticket_row(desk, "T-1001"))["sr_id"] is None

    await act(desk, triage_channel, technician, "ticket.resolve", ticket, {"resolution": "Fixed by a restart."})
    desk.runtime.emulator.state.clear_faults()
    said = await submit(desk, triage_channel, technician, ticket, form)

    (sr,) = filed(desk)
    stored = await ticket_row(desk, "T-1001")
    assert (stored["sr_id"], stored["status"]) == (sr.id, "resolved")
    assert sr.id in said
    assert len(set(request_ids(desk))) == 1, "the retry repeats the same MS-RequestId"
    assert "did not confirm" in unconfirmed and "again" in unconfirmed


async def test_another_form_files_nothing_while_a_filing_is_unconfirmed(desk, ticket, triage_channel, technician):
    colleague = user(demo.PARTNER, 1)
    mine = await signed_in_form(desk, triage_channel, technician, ticket)
    theirs = await signed_in_form(desk, triage_channel, colleague, ticket)
    desk.runtime.emulator.state.inject(answer_lost_after_filing())
    await submit(desk, triage_channel, technician, ticket, mine)
    desk.runtime.emulator.state.clear_faults()

    said = await submit(desk, triage_channel, colleague, ticket, theirs)
    assert len(filed(desk)) == 1, "Partner Center may already have the first one"
    assert "Alex Wilber" in said and "submit that form again" in said

    said = await submit(desk, triage_channel, technician, ticket, mine)
    (sr,) = filed(desk)
    assert (await ticket_row(desk, "T-1001"))["sr_id"] == sr.id and sr.id in said


async def test_two_instances_file_one_request_for_two_forms(desk, ticket, triage_channel, technician):
    colleague = user(demo.PARTNER, 1)
    mine = await signed_in_form(desk, triage_channel, technician, ticket)
    theirs = await signed_in_form(desk, triage_channel, colleague, ticket)
    services = desk.runtime.services

    file_request = services.partner_center.create_service_request
    answers: list[str] = []
    nested = []

    async def colleague_submits_meanwhile(*args, **kwargs):
        if not nested:  # the first filing is in flight when the colleague's submit arrives at another instance
            nested.append(True)
            answers.append(await submit(desk, triage_channel, colleague, ticket, theirs))
        return await file_request(*args, **kwargs)

    services.partner_center.create_service_request = colleague_submits_meanwhile
    said = await submit(desk, triage_channel, technician, ticket, mine)

    (sr,) = filed(desk)
    assert (await ticket_row(desk, "T-1001"))["sr_id"] == sr.id and sr.id in said
    assert "being escalated" in answers[0] and "Alex Wilber" in answers[0]


async def test_after_partner_center_refuses_a_filing_the_next_submit_is_a_new_request(
    desk, ticket, triage_channel, technician
):
    form = await signed_in_form(desk, triage_channel, technician, ticket)
    desk.runtime.emulator.state.inject(Fault(path=CREATE, status=400))
    said = await submit(desk, triage_channel, technician, ticket, form)
    assert "did not accept" in said and filed(desk) == []

    said = await submit(desk, triage_channel, technician, ticket, form)
    (sr,) = filed(desk)
    assert sr.id in said
    first, second = request_ids(desk)
    # Partner Center: "Upon receiving a response (success or business failure), the value should be reset".
    assert first != second


async def test_a_double_submit_after_filing_answers_with_the_request(desk, ticket, triage_channel, technician):
    form = await signed_in_form(desk, triage_channel, technician, ticket)
    first = await submit(desk, triage_channel, technician, ticket, form)
    again = await submit(desk, triage_channel, technician, ticket, form)
    (sr,) = filed(desk)
    assert sr.id in first and sr.id in again and "Nothing was filed twice" in again
    assert len(request_ids(desk)) == 1


async def test_a_filing_whose_instance_died_is_repeated_with_the_same_id_once_its_lease_ends(
    desk, ticket, triage_channel, technician
):
    import asyncio

    form = await signed_in_form(desk, triage_channel, technician, ticket)
    services = desk.runtime.services

    file_request = services.partner_center.create_service_request
    frozen = asyncio.Event()

    async def filed_then_frozen(*args, **kwargs):
        await file_request(*args, **kwargs)
        frozen.set()
        await asyncio.Event().wait()  # the instance hangs (or died) before Partner Center's answer reached it

    services.partner_center.create_service_request = filed_then_frozen
    stuck = asyncio.create_task(submit(desk, triage_channel, technician, ticket, form))
    await frozen.wait()
    services.partner_center.create_service_request = file_request
    try:
        meanwhile = await submit(desk, triage_channel, technician, ticket, form)
        assert "right now" in meanwhile and len(request_ids(desk)) == 1, "a running attempt is not repeated"
        services.clock.advance(minutes=11)  # its lease has run out: the instance is gone
        said = await submit(desk, triage_channel, technician, ticket, form)
    finally:
        stuck.cancel()
    (sr,) = filed(desk)
    assert (await ticket_row(desk, "T-1001"))["sr_id"] == sr.id and sr.id in said
    first, second = request_ids(desk)
    assert first == second


async def test_a_redelivered_submit_files_once_and_gets_the_first_answer(desk, ticket, triage_channel, technician):
    import copy

    form = await signed_in_form(desk, triage_channel, technician, ticket)
    target = {**ticket, "number": draft_of(form)}
    click = triage_channel.invoke(
        technician, "escalation.submit", target["number"], form_values(form), thread=ticket["triage_activity_id"]
    )
    first = await desk.client.post("/api/messages", json=copy.deepcopy(click))
    again = await desk.client.post("/api/messages", json=copy.deepcopy(click))  # Teams redelivers the invoke

    (sr,) = filed(desk)
    assert sr.id.encode() in await first.read()
    assert await again.read() == await first.read()
    assert len(request_ids(desk)) == 1


async def test_a_retry_sends_what_the_first_attempt_sent_whatever_the_form_now_says(
    desk, ticket, triage_channel, technician
):
    form = await signed_in_form(desk, triage_channel, technician, ticket)
    desk.runtime.emulator.state.inject(answer_lost_after_filing())
    await submit(desk, triage_channel, technician, ticket, form)  # filed by Microsoft, unconfirmed here
    desk.runtime.emulator.state.clear_faults()
    changed = {**form_values(form), "title": "Something else entirely"}
    await act(desk, triage_channel, technician, "escalation.submit", {**ticket, "number": draft_of(form)}, changed)

    [first, again] = [seen for seen in desk.runtime.emulator.state.requests(CREATE, "POST")][-2:]
    assert first.headers["MS-RequestId"] == again.headers["MS-RequestId"]
    [request] = filed(desk)
    assert request.title != "Something else entirely"
    stored = await rows(desk, "SELECT fields FROM escalations WHERE id = ?", (draft_of(form),))
    assert "Something else entirely" not in stored[0]["fields"], "the form keeps what was sent under its id"


async def test_entra_failing_when_filing_is_a_plain_answer(desk, ticket, triage_channel, technician, caplog):
    import logging

    state = desk.runtime.emulator.state
    state.user_token_lifetime = 120  # the technician's access token must be refreshed when filing
    form = await signed_in_form(desk, triage_channel, technician, ticket)
    state.inject(Fault(path=f"/login/{demo.PARTNER.tenant_id}/oauth2/v2.0/token", status=503, times=-1))
    caplog.set_level(logging.ERROR)

    said = await submit(desk, triage_channel, technician, ticket, form)

    assert said.startswith("Partner Center did not accept the service request"), said
    assert filed(desk) == []
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
