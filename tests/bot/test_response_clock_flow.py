"""Microsoft's response clock end to end, on the desk's own clock: the target and the time left on the
technician's card, one late note in the ticket's thread (across repeated rounds and a restart), none when Microsoft
responded in time, and the per-service guidance on the escalation form and the card."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.jobs.ms_response import check_ms_response
from bot.jobs.sr_sync import sync_service_requests
from tests.bot.helpers import card_text, raise_ticket, rows, set_triage_channel, ticket_row
from tests.bot.test_escalation import escalated, open_form
from tests.bot.test_triage_actions import thread_posts
from tests.bot.test_triage_view import click
from tests.support.harness import OFFICE_HOURS, Desk, FixedClock, local_settings, start_desk

LATE = "Microsoft is late on service request"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(OFFICE_HOURS)


@pytest.fixture
def premier(tmp_path, connector):
    """Settings of a partner with Premier Support for Partners (Microsoft publishes 1 hour for Severity A)."""
    return local_settings(tmp_path, connector, SUPPORT_PLAN="premier")


@pytest.fixture
async def desk(premier, connector, clock) -> AsyncIterator[Desk]:
    running = await start_desk(premier, connector, clock)
    yield running
    await running.close()


@pytest.fixture
async def ticket(desk, customer_chat, triage_channel, technician):
    desk.runtime.emulator.state.sr_script = []
    await set_triage_channel(desk, triage_channel, technician)
    return await ticket_row(desk, await raise_ticket(desk, customer_chat))


def late_notes(desk, triage_channel, ticket):
    return [p for p in thread_posts(desk, triage_channel, ticket) if p.cards and LATE in card_text(p.cards[0])]


async def test_card_shows_the_target_and_the_time_left(desk, ticket, triage_channel, technician, clock):
    await escalated(desk, ticket, triage_channel, technician)
    clock.advance(minutes=20)
    card = card_text(await click(desk, triage_channel, technician, "ticket.refresh", ticket))
    assert "Microsoft's response clock" in card
    assert "1 h 0 min (Premier Support for Partners, Critical)" in card
    assert "40 min left" in card
    clock.advance(minutes=45)
    card = card_text(await click(desk, triage_channel, technician, "ticket.refresh", ticket))
    assert "late by 5 min" in card


async def test_late_note_is_posted_once_across_rounds_and_restarts(
    desk, ticket, triage_channel, technician, clock, premier, connector
):
    sr_id = await escalated(desk, ticket, triage_channel, technician)
    services = desk.runtime.services
    await sync_service_requests(services)
    clock.advance(minutes=59)
    await sync_service_requests(services)
    assert await check_ms_response(services) == 0, "not due yet"
    clock.advance(minutes=2)
    assert await check_ms_response(services) == 0, "due, but not read since: a response may be waiting unseen"
    await sync_service_requests(services)
    assert await check_ms_response(services) == 1
    assert await check_ms_response(services) == 0, "noted once"
    await desk.delivered()
    notes = late_notes(desk, triage_channel, ticket)
    assert len(notes) == 1
    text = card_text(notes[0].cards[0])
    assert f"{LATE} {sr_id} of T-1001" in text and "1 h 0 min (Premier Support for Partners, Critical)" in text
    stored = await rows(desk, "SELECT late_noted_at FROM sr_clocks")
    assert [r["late_noted_at"] is not None for r in stored] == [True]

    await desk.close()
    clock.advance(minutes=30)
    again = await start_desk(premier, connector, clock)
    try:
        assert await check_ms_response(again.runtime.services) == 0, "the record outlives the process"
        await again.delivered()
        assert len(late_notes(again, triage_channel, ticket)) == 1
    finally:
        await again.close()


async def test_no_late_note_when_microsoft_responded_in_time(desk, ticket, triage_channel, technician, clock):
    sr_id = await escalated(desk, ticket, triage_channel, technician)
    services = desk.runtime.services
    clock.advance(minutes=30)
    desk.runtime.emulator.state.advance_service_request(sr_id, note="Looking into it.")
    await sync_service_requests(services)
    clock.advance(minutes=60)
    await sync_service_requests(services)
    assert await check_ms_response(services) == 0
    await desk.delivered()
    assert late_notes(desk, triage_channel, ticket) == []
    card = card_text(await click(desk, triage_channel, technician, "ticket.refresh", ticket))
    assert "Microsoft responded" in card and "after 30 min, within the target" in card


async def test_our_own_note_is_not_microsofts_response(desk, ticket, triage_channel, technician, clock):
    await escalated(desk, ticket, triage_channel, technician)
    services = desk.runtime.services
    clock.advance(minutes=10)
    await desk.send(
        triage_channel.message(technician, "note Customer says it got worse.", thread=ticket["triage_activity_id"])
    )
    await sync_service_requests(services)
    assert [r["responded_at"] for r in await rows(desk, "SELECT responded_at FROM sr_clocks")] == [None]


async def test_azure_ticket_gets_azure_guidance_on_the_form_and_the_card(
    desk, customer_chat, triage_channel, technician
):
    desk.runtime.emulator.state.sr_script = []
    await set_triage_channel(desk, triage_channel, technician)
    number = await raise_ticket(desk, customer_chat, product="azure", service="Virtual Machines")
    ticket = await ticket_row(desk, number)
    link = (
        f"https://portal.azure.com/#@{customer_chat.sender.tenant_id}"
        "/blade/Microsoft_Azure_Support/HelpAndSupportBlade/newsupportrequest"
    )
    card = await click(desk, triage_channel, technician, "ticket.refresh", ticket)
    assert "Azure support request in the customer's own subscription" in card_text(card)
    assert "Support Request Contributor" in card_text(card)
    assert link in _links(card)
    form = await open_form(desk, triage_channel, technician, ticket)
    assert "Support Request Contributor" in card_text(form) and link in _links(form)
    assert "The subscription id the problem is in" in card_text(form)


async def test_microsoft_365_ticket_is_told_this_desk_files_it(desk, ticket, triage_channel, technician):
    card = await click(desk, triage_channel, technician, "ticket.refresh", ticket)
    assert "Partner Center service request. This desk files it" in card_text(card)
    assert not [url for url in _links(card) if "portal.azure" in url]


def _links(card) -> list[str]:
    from tests.bot.helpers import nodes

    return [node["url"] for node in nodes(card) if node.get("type") == "Action.OpenUrl"]
