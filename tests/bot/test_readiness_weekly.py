"""The weekly readiness check: every customer is checked once per ISO week, and the triage channel gets one card per
worsening (ready -> partial, partial -> blocked) — once, across repeated rounds, two instances at once and a restart,
and also when a technician's own `readiness` saw the worse state first."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.jobs.readiness_weekly import weekly_readiness
from emulator import demo
from emulator.demo_directory import FABRIKAM_DESK_APP_ID
from emulator.state import Fault
from tests.bot.helpers import card_text, rows, set_triage_channel
from tests.bot.test_readiness import T0, relationship
from tests.support.harness import FixedClock, local_settings, start_desk

HEALTH = "/graph/v1.0/admin/serviceAnnouncement/healthOverviews"


def relationships():
    return [relationship("fab-1", demo.FABRIKAM, auto_extend="P180D"), relationship("nw-1", demo.NORTHWIND)]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


async def run(desk) -> int:
    posted = await weekly_readiness(desk.runtime.services)
    await desk.delivered()
    return posted


def worsenings(desk, channel) -> list[str]:
    texts = [card_text(s.cards[0]) for s in desk.connector.posts(channel.channel_id) if s.cards]
    return [text for text in texts if " got worse: " in text]


async def test_each_worsening_is_posted_once(tmp_path, connector, clock, triage_channel, technician, customer_chat):
    desk = await start_desk(local_settings(tmp_path, connector), connector, clock)
    try:
        emulator = desk.runtime.emulator.state
        emulator.gdap.replace_all(relationships())
        # Fabrikam is ready: Megan Bowen added the desk herself and talked to it.
        emulator.teams.preinstall(demo.FABRIKAM.tenant_id, demo.FABRIKAM.users[0].aad_id, FABRIKAM_DESK_APP_ID)
        await desk.send(customer_chat.message("hello"))
        assert await run(desk) == 0, "no triage channel: nothing checked, nothing recorded"
        assert await rows(desk, "SELECT * FROM readiness") == []
        await set_triage_channel(desk, triage_channel, technician)

        # Week 48: the first look is the baseline.
        assert await run(desk) == 0
        states = await rows(desk, "SELECT tenant_id, state, reported_week FROM readiness ORDER BY tenant_id")
        assert {r["tenant_id"]: (r["state"], r["reported_week"]) for r in states} == {
            demo.FABRIKAM.tenant_id: ("ready", "2026-W48"),
            demo.NORTHWIND.tenant_id: ("partial", "2026-W48"),
            demo.ADVENTURE_WORKS.tenant_id: ("blocked", "2026-W48"),
            demo.TAILSPIN.tenant_id: ("blocked", "2026-W48"),
        }
        health_calls = len(emulator.requests(HEALTH))
        assert await run(desk) == 0
        assert len(emulator.requests(HEALTH)) == health_calls, "the week's customers are not checked twice"

        # Fabrikam loses the desk's app from its catalog (ready -> partial); Northwind's GDAP ends (partial ->
        # blocked); a technician sees Fabrikam's new state first.
        emulator.teams.catalogs[demo.FABRIKAM.tenant_id] = []
        emulator.gdap.replace_all([relationships()[0]])
        await desk.send(triage_channel.message(technician, "readiness fabrikam"))
        clock.now = T0 + timedelta(days=7)  # week 49
        assert await run(desk) == 2
        assert await run(desk) == 0
        posted = worsenings(desk, triage_channel)
        assert len(posted) == 2
        assert any("Fabrikam, Inc. got worse: ready → partial." in p and "org app catalog" in p for p in posted)
        assert any("Northwind Traders got worse: partial → blocked." in p for p in posted)
    finally:
        await desk.close()

    # A restart in the same week: the database knows the week is done.
    desk = await start_desk(local_settings(tmp_path, connector), connector, clock)
    try:
        desk.runtime.emulator.state.gdap.replace_all([relationships()[0]])
        desk.runtime.emulator.state.teams.catalogs[demo.FABRIKAM.tenant_id] = []
        assert await run(desk) == 0

        # Week 50, two instances at once: nothing got worse again, nothing is posted; each customer checked once.
        clock.now = T0 + timedelta(days=14)
        both = await asyncio.gather(*(weekly_readiness(desk.runtime.services) for _ in range(2)))
        await desk.delivered()
        assert both == [0, 0]
        weeks = await rows(desk, "SELECT DISTINCT reported_week FROM readiness")
        assert weeks == [{"reported_week": "2026-W50"}]
        assert len(worsenings(desk, triage_channel)) == 2
    finally:
        await desk.close()


async def test_a_worsening_across_two_instances_is_posted_once(tmp_path, connector, clock, triage_channel, technician):
    desk = await start_desk(local_settings(tmp_path, connector), connector, clock)
    try:
        emulator = desk.runtime.emulator.state
        emulator.gdap.replace_all(relationships())
        await set_triage_channel(desk, triage_channel, technician)
        assert await run(desk) == 0
        emulator.gdap.replace_all([])  # Fabrikam and Northwind: partial -> blocked
        clock.now = T0 + timedelta(days=7)

        both = await asyncio.gather(*(weekly_readiness(desk.runtime.services) for _ in range(2)))
        await desk.delivered()

        assert sum(both) == 2
        assert len(worsenings(desk, triage_channel)) == 2
    finally:
        await desk.close()


async def test_a_microsoft_outage_on_the_day_is_not_a_worsening(tmp_path, connector, clock, triage_channel, technician):
    desk = await start_desk(local_settings(tmp_path, connector), connector, clock)
    try:
        emulator = desk.runtime.emulator.state
        emulator.gdap.replace_all(relationships())
        await set_triage_channel(desk, triage_channel, technician)
        assert await run(desk) == 0
        emulator.inject(Fault("/graph/v1.0/tenantRelationships/delegatedAdminRelationships", status=403, times=-1))
        clock.now = T0 + timedelta(days=7)

        assert await run(desk) == 0, "GDAP could not be checked: not a worsening"
        states = await rows(desk, "SELECT state FROM readiness WHERE tenant_id = ?", (demo.NORTHWIND.tenant_id,))
        assert states == [{"state": "partial"}]
        emulator.faults.clear()
        emulator.gdap.replace_all([])  # next week GDAP is readable again, and gone: Northwind partial -> blocked
        clock.now = T0 + timedelta(days=14)

        assert await run(desk) == 2
        assert any("Northwind Traders got worse: partial → blocked." in p for p in worsenings(desk, triage_channel))
    finally:
        await desk.close()
