"""Message center through the bot at the HTTP level against the emulator: `changes <customer>` for technicians
(ordering, links, refusals, the cap), `changes` for a customer in plain words, and the weekly digest in the triage
channel — due Monday 09:00 partner time, sent once per ISO week across rounds, concurrent rounds and restarts."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.jobs.message_digest import weekly_digest
from emulator import demo
from tests.bot.helpers import card_text, set_triage_channel
from tests.support.activities import Channel, Chat
from tests.support.connector import LocalConnector
from tests.support.harness import OFFICE_HOURS, Desk, FixedClock, local_settings, start_desk

FABRIKAM, NORTHWIND = demo.FABRIKAM.tenant_id, demo.NORTHWIND.tenant_id
MESSAGE_CENTER = "https://admin.microsoft.com/AdminPortal/Home#/MessageCenter/:/messages/"


def post(post_id: str, now: datetime, tenants: tuple[str, ...] = (FABRIKAM,), **fields: object) -> demo.DemoMessage:
    """A Message center post seen by `tenants`, started a week before `now` and changed a day before, unless given."""
    base = demo.DemoMessage(
        id=post_id,
        title=f"Title of {post_id}",
        category="PlanForChange",
        severity="Normal",
        services=("Exchange Online",),
        body="<p>Body</p>",
        start=now - timedelta(days=7),
        last_modified=now - timedelta(days=1),
        tenants=tenants,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def set_posts(desk: Desk, *posts: demo.DemoMessage) -> None:
    state = desk.runtime.emulator.state
    with state.lock:
        state.messages = {p.id: p for p in posts}


async def said(desk: Desk, channel: Channel, technician: object, text: str) -> str:
    await desk.send(channel.message(technician, text))
    last = desk.connector.posts(channel.channel_id)[-1]
    return card_text(last.cards[0]) if last.cards else last.text


async def test_changes_of_fabrikam_major_and_action_dates_first_then_by_last_change(desk, triage_channel, technician):
    text = await said(desk, triage_channel, technician, "changes fabrikam")

    assert "Message center · Fabrikam, Inc." in text
    # MC700010: major, act in 12 days; MC700011: act in 45; MC700002: major, act in 60; then the rest, newest first.
    order = ["MC700010", "MC700011", "MC700002", "MC700013", "MC700012", "MC700001"]
    positions = [text.index(post_id) for post_id in order]
    assert positions == sorted(positions), text
    assert "Major change" in text and "Act by" in text and "Exchange Online, Microsoft 365 apps" in text
    assert MESSAGE_CENTER + "MC700010" in text
    assert "Partner/BeginClientSession.aspx?CTID=" + FABRIKAM in text, "the customer's own admin center through GDAP"


async def test_changes_without_or_with_an_unknown_customer_says_so(desk, triage_channel, technician):
    assert "Which customer?" in await said(desk, triage_channel, technician, "changes")
    assert "No customer matches" in await said(desk, triage_channel, technician, "changes contoso")


async def test_changes_of_a_tenant_without_the_permission_names_it(desk, triage_channel, technician):
    desk.runtime.emulator.state.graph_permissions_missing[NORTHWIND] = {"ServiceMessage.Read.All"}

    text = await said(desk, triage_channel, technician, "changes northwind")

    assert "ServiceMessage.Read.All" in text and "Northwind Traders" in text
    assert "Traceback" not in text


async def test_a_long_list_is_capped_and_says_how_many_more(desk, triage_channel, technician):
    set_posts(desk, *(post(f"MC8{n:05d}", OFFICE_HOURS, title="A rather long title " * 6) for n in range(60)))

    text = await said(desk, triage_channel, technician, "changes fabrikam")

    assert "60 posts" in text and "…and 45 more posts in the Message center." in text
    assert text.count(MESSAGE_CENTER) == 15


async def test_a_customer_hears_of_upcoming_changes_in_plain_words(desk, customer_chat: Chat):
    now = OFFICE_HOURS
    set_posts(
        desk,
        post("MC1", now, title="Outlook add-ins need an update", action_required_by=now + timedelta(days=20)),
        post("MC2", now, title="New sharing links for new sites", start=now + timedelta(days=40)),
        post("MC3", now, title="Already started, nothing to do", category="StayInformed"),
        post("MC4", now, title="Far away", action_required_by=now + timedelta(days=90)),
        post("MC5", now, title="Someone else's", tenants=(NORTHWIND,), action_required_by=now + timedelta(days=5)),
    )

    await desk.send(customer_chat.message("changes"))

    text = card_text(desk.connector.posts(customer_chat.conversation_id)[-1].cards[0])
    assert "Upcoming changes to your Microsoft 365" in text
    assert "2 changes coming in the next two months" in text
    assert text.index("Outlook add-ins need an update") < text.index("New sharing links for new sites")
    assert "Please act by" in text and "Starts on" in text
    assert "Already started" not in text and "Far away" not in text and "Someone else's" not in text
    assert "MC1" not in text and "PlanForChange" not in text, "no Microsoft jargon for customers"


async def test_a_customer_sentence_starting_with_changes_is_a_message_not_the_command(desk, customer_chat: Chat):
    await desk.send(customer_chat.message("changes to my mailbox rules are not saved"))

    texts = [card_text(p.cards[0]) if p.cards else p.text for p in desk.connector.posts(customer_chat.conversation_id)]
    assert texts and not any("Upcoming changes to your Microsoft 365" in text for text in texts)


# Monday 30 November 2026, 08:59 in Chicago (UTC-6): 14:59 UTC. A desk reading 09:00 as UTC would send at 09:00 UTC.
MONDAY_BEFORE_NINE = datetime(2026, 11, 30, 14, 59, tzinfo=UTC)


def digests(desk: Desk, channel: Channel) -> list[str]:
    posts = desk.connector.posts(channel.channel_id)
    texts = [card_text(p.cards[0]) for p in posts if p.cards]
    return [text for text in texts if "what needs action in the next 30 days" in text]


async def test_the_weekly_digest_goes_out_once_per_week_at_nine_partner_time(
    tmp_path: Path, connector: LocalConnector, triage_channel: Channel, technician: object
) -> None:
    settings = local_settings(tmp_path, connector, SUPPORT_TIMEZONE="America/Chicago")
    clock = FixedClock(datetime(2026, 11, 30, 9, 30, tzinfo=UTC))  # Monday 09:30 UTC, 03:30 in Chicago
    desk = await start_desk(settings, connector, clock)
    try:
        await set_triage_channel(desk, triage_channel, technician)
        now = MONDAY_BEFORE_NINE
        set_posts(
            desk,
            post("MC10", now, title="Fabrikam acts soon", action_required_by=now + timedelta(days=10)),
            post("MC11", now, title="Fabrikam acts later", action_required_by=now + timedelta(days=40)),
            post("MC12", now, title="Northwind acts", tenants=(NORTHWIND,), action_required_by=now + timedelta(days=3)),
        )
        services = desk.runtime.services
        assert not await weekly_digest(services), "09:30 UTC is 03:30 in Chicago"
        clock.now = MONDAY_BEFORE_NINE
        assert not await weekly_digest(services)

        clock.advance(minutes=2)  # 09:01 in Chicago
        sent = await asyncio.gather(weekly_digest(services), weekly_digest(services), weekly_digest(services))
        assert sorted(sent) == [False, False, True], "rounds that overlap queue one digest"
        clock.advance(hours=30)
        assert not await weekly_digest(services)
        await desk.delivered()

        [digest] = digests(desk, triage_channel)
        assert "Fabrikam acts soon" in digest and "Northwind acts" in digest
        assert "Fabrikam acts later" not in digest, "action dates beyond 30 days are left out"
        assert digest.index("Fabrikam, Inc.") < digest.index("Fabrikam acts soon")
        assert "Could not read" in digest and "Tailspin Toys" in digest, "an unreadable customer is listed"
    finally:
        await desk.close()

    clock.advance(hours=2)  # Tuesday, after a restart on the same database
    desk = await start_desk(settings, connector, clock)
    try:
        services = desk.runtime.services
        assert not await weekly_digest(services), "the week's digest is in the database: not sent again"
        clock.now = MONDAY_BEFORE_NINE + timedelta(days=7, minutes=2)
        assert await weekly_digest(services), "next Monday's goes out"
        await desk.delivered()
        assert len(digests(desk, triage_channel)) == 2
    finally:
        await desk.close()


async def test_a_desk_down_at_nine_sends_the_digest_later_that_week_but_not_at_the_weekend(
    tmp_path: Path, connector: LocalConnector, triage_channel: Channel, technician: object
) -> None:
    settings = local_settings(tmp_path, connector, SUPPORT_TIMEZONE="America/Chicago")
    clock = FixedClock(MONDAY_BEFORE_NINE + timedelta(days=5, hours=2))  # Saturday 11:00 in Chicago
    desk = await start_desk(settings, connector, clock)
    try:
        await set_triage_channel(desk, triage_channel, technician)
        services = desk.runtime.services
        assert not await weekly_digest(services), "Saturday: this week's digest is skipped"
        clock.now = MONDAY_BEFORE_NINE + timedelta(days=9)  # Wednesday 08:59 in Chicago, the desk back after an outage
        assert await weekly_digest(services)
    finally:
        await desk.close()
