"""SLA clocks over business hours on a fixed clock: reminders and breach alerts sent once; customers writing
outside business hours are told when the partner is back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.jobs.background import Periodic
from bot.jobs.sla_alerts import check_sla
from tests.bot.helpers import card_text, raise_ticket, rows, set_triage_channel, ticket_row
from tests.support.harness import FixedClock, local_settings, start_desk


@pytest.fixture
def clock():
    """Tuesday 24 November 2026, 10:00 in London (UTC in winter); business hours Mon-Fri 08:00-18:00."""
    return FixedClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))


@pytest.fixture
async def desk_at(tmp_path, connector, clock):
    running = await start_desk(
        local_settings(tmp_path, connector, SUPPORT_EMERGENCY_CONTACT="+44 20 7946 0000"), connector, clock
    )
    yield running
    await running.close()


def alerts_in(desk, channel):
    """SLA alert texts posted anywhere in the triage channel (the card heading's lines)."""
    lines = [
        line for s in desk.connector.posts(channel.channel_id) if s.cards for line in card_text(s.cards[0]).split("\n")
    ]
    return [line for line in lines if line.startswith(("⏰", "🚨"))]


async def check(desk):
    sent = await check_sla(desk.runtime.services)
    await desk.delivered()
    return sent


async def test_reminder_then_breach_each_once(desk_at, clock, customer_chat, triage_channel, technician):
    desk = desk_at
    await set_triage_channel(desk, triage_channel, technician)
    number = await raise_ticket(desk, customer_chat, severity="critical")
    ticket = await ticket_row(desk, number)
    assert ticket["first_response_due"].startswith("2026-11-24T11:00:00")

    clock.now = datetime(2026, 11, 24, 10, 44, tzinfo=UTC)
    assert await check(desk) == 0
    clock.now = datetime(2026, 11, 24, 10, 46, tzinfo=UTC)
    assert await check(desk) == 1
    assert await check(desk) == 0
    clock.now = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    assert await check(desk) == 1
    clock.now = datetime(2026, 11, 24, 11, 30, tzinfo=UTC)
    assert await check(desk) == 0

    alerts = alerts_in(desk, triage_channel)
    assert len(alerts) == 2
    assert alerts[0].startswith("⏰ T-1001 (Critical, Fabrikam, Inc.): the first response is due")
    assert alerts[1].startswith("🚨 T-1001 (Critical, Fabrikam, Inc.) missed its first-response target")
    thread = f"{triage_channel.channel_id};messageid={ticket['triage_activity_id']}"
    in_thread = [s for s in desk.connector.posts(thread) if s.conversation_id == thread and s.cards]
    assert sum(1 for s in in_thread if card_text(s.cards[0]).count("T-1001 (Critical")) == 2, "posted in the thread"


async def test_first_response_stops_the_response_clock(desk_at, clock, customer_chat, triage_channel, technician):
    desk = desk_at
    await set_triage_channel(desk, triage_channel, technician)
    number = await raise_ticket(desk, customer_chat, severity="critical")
    ticket = await ticket_row(desk, number)
    await desk.send(
        triage_channel.invoke(
            technician, "ticket.reply", number, {"reply_text": "Looking now."}, thread=ticket["triage_activity_id"]
        )
    )
    clock.now = datetime(2026, 11, 24, 11, 30, tzinfo=UTC)
    assert await check(desk) == 0


async def test_sla_counts_business_hours_only(desk_at, clock, customer_chat, triage_channel, technician):
    desk = desk_at
    await set_triage_channel(desk, triage_channel, technician)
    clock.now = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)  # Friday 17:30, half an hour before closing
    number = await raise_ticket(desk, customer_chat, severity="critical")
    ticket = await ticket_row(desk, number)
    assert ticket["first_response_due"].startswith("2026-11-30T08:30:00")  # Monday 08:30

    clock.now = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)  # Saturday night: nothing is due
    assert await check(desk) == 0
    clock.now = datetime(2026, 11, 30, 8, 16, tzinfo=UTC)  # Monday 08:16, 14 business minutes left
    assert await check(desk) == 1
    assert "the first response is due" in alerts_in(desk, triage_channel)[-1]


async def test_only_one_instance_runs_the_watch(desk_at, clock, customer_chat, triage_channel, technician):
    desk = desk_at
    services = desk.runtime.services
    first = Periodic("sla-watch-test", 60, lambda: check_sla(services), services.desk, holder="instance-a")
    second = Periodic("sla-watch-test", 60, lambda: check_sla(services), services.desk, holder="instance-b")
    assert await first.tick() is True
    assert await second.tick() is False
    clock.advance(minutes=5)  # instance-a stopped renewing; its lease (3 minutes) ran out
    assert await second.tick() is True


async def test_customer_writing_out_of_hours_is_told_when_we_are_back(desk_at, clock, customer_chat):
    desk = desk_at
    clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # Saturday noon
    await raise_ticket(desk, customer_chat, severity="moderate")
    told = [s.text for s in desk.connector.posts(customer_chat.conversation_id) if "closed right now" in s.text]
    assert told == [
        "Contoso Cloud Services support is closed right now. We're back Mon 30 Nov 08:00 (Europe/London) and will"
        " pick this up then. For critical issues that can't wait, call +44 20 7946 0000."
    ]
    await desk.send(customer_chat.message("Any update?"))
    told_again = [s.text for s in desk.connector.posts(customer_chat.conversation_id) if "closed right now" in s.text]
    assert len(told_again) == 1, "told once per closed period"
    clock.now = datetime(2026, 11, 30, 19, 0, tzinfo=UTC)  # Monday evening: a new closed period
    await desk.send(customer_chat.message("Still nothing?"))
    told_later = [s.text for s in desk.connector.posts(customer_chat.conversation_id) if "closed right now" in s.text]
    assert len(told_later) == 2 and "Tue 1 Dec 08:00" in told_later[-1]


async def test_no_notice_in_business_hours(desk_at, customer_chat):
    await raise_ticket(desk_at, customer_chat)
    assert not [s for s in desk_at.connector.posts(customer_chat.conversation_id) if "closed right now" in s.text]
    assert await rows(desk_at, "SELECT * FROM meta WHERE key LIKE 'after_hours:%'") == []


async def test_waiting_on_the_customer_pauses_the_resolution_clock(
    desk_at, clock, customer_chat, triage_channel, technician
):
    desk = desk_at
    await set_triage_channel(desk, triage_channel, technician)
    number = await raise_ticket(desk, customer_chat, severity="critical")
    ticket = await ticket_row(desk, number)
    assert ticket["resolution_due"].startswith("2026-11-24T18:00:00")  # 8 business hours from Tuesday 10:00
    thread = ticket["triage_activity_id"]
    await desk.send(triage_channel.invoke(technician, "ticket.reply", number, {"reply_text": "Logs?"}, thread=thread))
    waiting = {"new_status": "waiting_on_customer"}
    await desk.send(triage_channel.invoke(technician, "ticket.status", number, waiting, thread=thread))
    await desk.delivered()
    card = [u for u in desk.connector.updates() if u.activity_id == thread][-1]
    assert "Paused while waiting on the customer" in card_text(card.cards[0])

    clock.now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # Wednesday 10:00: past the old due time
    assert await check(desk) == 0, "no reminder or breach while the clock stands"
    await desk.send(customer_chat.message("Here are the logs."))
    resumed = await ticket_row(desk, number)
    assert resumed["status"] == "in_progress"
    # It stood 10 business hours (Tue 10-18, Wed 08-10); the 8 hours left when it stopped run from Wed 10:00.
    assert resumed["resolution_due"].startswith("2026-11-25T18:00:00")
    assert resumed["sla_paused_at"] is None and resumed["sla_paused_seconds"] == 10 * 3600

    clock.now = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    assert await check(desk) == 1
    assert alerts_in(desk, triage_channel)[-1].startswith("🚨 T-1001 (Critical, Fabrikam, Inc.) missed its resolution")


async def test_a_severity_change_keeps_the_time_the_clock_stood(
    desk_at, clock, customer_chat, triage_channel, technician
):
    desk = desk_at
    await set_triage_channel(desk, triage_channel, technician)
    number = await raise_ticket(desk, customer_chat, severity="critical")
    thread = (await ticket_row(desk, number))["triage_activity_id"]
    waiting = {"new_status": "waiting_on_customer"}
    await desk.send(triage_channel.invoke(technician, "ticket.status", number, waiting, thread=thread))
    clock.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    await desk.send(customer_chat.message("Done."))  # two business hours stood
    await desk.send(
        triage_channel.invoke(technician, "ticket.severity", number, {"new_severity": "moderate"}, thread=thread)
    )
    # Moderate: 24 business hours from Tuesday 10:00 is Thursday 14:00, plus the 2 hours stood.
    assert (await ticket_row(desk, number))["resolution_due"].startswith("2026-11-26T16:00:00")
