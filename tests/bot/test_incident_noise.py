"""Incident noise control on the monitor's incident cards, through the real app at the HTTP level: Acknowledge,
Snooze and Mute a customer (each shown on the card, refused to customers), and updates coalesced to one per
5 minutes unless the classification or status changes. Time moves on the desk's FixedClock only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.jobs.monitor import monitor_round
from cards.incident_controls import (
    ACK_VERB,
    MUTE_CHOICES,
    MUTE_INPUT,
    MUTE_VERB,
    REPLY_ALL_VERB,
    SNOOZE_INPUT,
    SNOOZE_VERB,
)
from cards.render import MAX_CARD_BYTES, card_size
from desk.clock import from_iso
from emulator import demo
from emulator.demo_storm import STORM_ID
from tests.bot.helpers import card_inputs, card_text, card_verbs, rows, set_triage_channel
from tests.support.harness import OFFICE_HOURS, Desk, FixedClock, local_settings, start_desk

EX = "EX987654"  # Fabrikam and Northwind (demo_health.py)
TM = "TM123456"  # Northwind only; its post announces no next update
CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(OFFICE_HOURS)


@pytest.fixture
async def desk(tmp_path, connector, clock) -> AsyncIterator[Desk]:
    running = await start_desk(local_settings(tmp_path, connector), connector, clock)
    yield running
    await running.close()


@pytest.fixture
async def posted(desk, triage_channel, technician) -> Desk:
    """The triage channel is set and the monitor has posted the demo incidents' cards."""
    await set_triage_channel(desk, triage_channel, technician)
    assert await monitor_round(desk.runtime.services) == 2
    await desk.delivered()
    return desk


async def card_id(desk: Desk, incident: str) -> str:
    found = await rows(desk, "SELECT activity_id FROM posted_cards WHERE key = ?", (f"incident:{incident}",))
    return str(found[0]["activity_id"])


async def updates_of(desk: Desk, incident: str) -> list:
    activity = await card_id(desk, incident)
    return [u for u in desk.connector.updates() if u.activity_id == activity]


async def shown(desk: Desk, incident: str) -> str:
    """The incident card as the channel shows it now (its last update, else as posted)."""
    updates = await updates_of(desk, incident)
    if updates:
        return card_text(updates[-1].cards[0])
    activity = await card_id(desk, incident)
    first = next(s for s in desk.connector.sent if s.response_id == activity)
    return card_text(first.cards[0])


async def click(desk, channel, sender, verb, incident, inputs=None):
    """A button of the incident card; returns the invoke answer's body."""
    status, body = await desk.send(channel.invoke(sender, verb, incident, inputs, thread=await card_id(desk, incident)))
    assert status == 200
    await desk.delivered()
    return body


async def round_(desk: Desk) -> int:
    count = await monitor_round(desk.runtime.services)
    await desk.delivered()
    return count


async def controls(desk: Desk, incident: str) -> dict:
    return (await rows(desk, "SELECT * FROM incident_controls WHERE incident_id = ?", (incident,)))[0]


async def test_the_card_offers_the_noise_controls(posted, triage_channel):
    text = await shown(posted, EX)
    activity = await card_id(posted, EX)
    first = next(s for s in posted.connector.sent if s.response_id == activity)
    assert {ACK_VERB, SNOOZE_VERB, MUTE_VERB, REPLY_ALL_VERB} <= card_verbs(first.cards[0])
    inputs = card_inputs(first.cards[0])
    for name in (SNOOZE_INPUT, MUTE_INPUT):
        assert inputs[name]["label"] and inputs[name]["errorMessage"] and inputs[name]["isRequired"]
    mute_values = {c["value"] for c in inputs[MUTE_INPUT]["choices"]}
    assert mute_values == {demo.FABRIKAM.tenant_id, demo.NORTHWIND.tenant_id}
    assert "Acknowledged" not in text


async def test_acknowledge_records_who_and_when_and_shows_it(posted, triage_channel, technician, clock):
    body = await click(posted, triage_channel, technician, ACK_VERB, EX)
    assert body["type"] == CARD
    assert "Acknowledged by Alex Wilber" in card_text(body["value"])
    assert ACK_VERB not in card_verbs(body["value"])
    assert "Acknowledged by Alex Wilber" in await shown(posted, EX), "everyone's card was updated in place"
    stored = await controls(posted, EX)
    assert stored["acked_by"] == technician.aad_id and from_iso(stored["acked_at"]) == clock.now

    again = await click(posted, triage_channel, technician, ACK_VERB, EX)
    assert again["type"] == MESSAGE and "already acknowledged by Alex Wilber" in again["value"]


async def test_customers_are_refused_every_incident_action(posted, customer_chat):
    before = await controls(posted, EX)
    for verb, inputs in (
        (ACK_VERB, None),
        (SNOOZE_VERB, {SNOOZE_INPUT: "4h"}),
        (MUTE_VERB, {MUTE_INPUT: demo.FABRIKAM.tenant_id}),
        (REPLY_ALL_VERB, None),
    ):
        status, body = await posted.send(customer_chat.invoke(verb, EX, inputs))
        assert status == 200 and body["type"] == MESSAGE, verb
        assert "technicians" in body["value"], body
    assert await controls(posted, EX) == before
    assert await rows(posted, "SELECT * FROM bulk_replies") == []


async def test_snooze_holds_updates_and_its_end_brings_the_card_up_to_date_once(
    posted, triage_channel, technician, clock
):
    body = await click(posted, triage_channel, technician, SNOOZE_VERB, EX, {SNOOZE_INPUT: "1h"})
    assert "Snoozed by Alex Wilber" in card_text(body["value"])
    assert "Snoozed by Alex Wilber" in await shown(posted, EX)
    count = len(await updates_of(posted, EX))

    state = posted.runtime.emulator.state
    clock.advance(minutes=10)
    state.add_post(EX, "<p>Current status: We've rerouted mail flow to healthy infrastructure.</p>")
    assert await round_(posted) == 0, "a snoozed card is not updated"
    clock.advance(minutes=20)
    state.add_post(EX, "<p>Current status: Most mail is now flowing.</p>")
    assert await round_(posted) == 0
    assert len(await updates_of(posted, EX)) == count

    clock.advance(minutes=31)  # the hour is over
    assert await round_(posted) == 1
    text = await shown(posted, EX)
    assert "Most mail is now flowing" in text and "Snoozed" not in text
    assert await round_(posted) == 0, "brought up to date once"
    clock.advance(minutes=10)
    assert await round_(posted) == 0
    assert len(await updates_of(posted, EX)) == count + 1
    assert (await controls(posted, EX))["snoozed_until"] is None


async def test_a_snooze_that_ends_without_news_still_clears_once(posted, triage_channel, technician, clock):
    await click(posted, triage_channel, technician, SNOOZE_VERB, EX, {SNOOZE_INPUT: "1h"})
    count = len(await updates_of(posted, EX))
    clock.advance(hours=1, minutes=1)
    assert await round_(posted) == 1
    assert "Snoozed" not in await shown(posted, EX)
    assert await round_(posted) == 0
    assert len(await updates_of(posted, EX)) == count + 1


async def test_a_resolution_and_a_classification_change_break_through_a_snooze(
    posted, triage_channel, technician, clock
):
    state = posted.runtime.emulator.state
    await click(posted, triage_channel, technician, SNOOZE_VERB, TM, {SNOOZE_INPUT: "4h"})
    clock.advance(minutes=1)
    state.upsert_issue(replace(state.issues[TM], classification="Incident"))
    assert await round_(posted) == 1, "an advisory that became an incident is shown at once"
    await click(posted, triage_channel, technician, SNOOZE_VERB, EX, {SNOOZE_INPUT: "4h"})
    state.add_post(EX, "<p>Current status: Still rerouting.</p>", status="RestoringService")
    assert await round_(posted) == 0, "a status change waits for the snooze"
    state.resolve_issue(EX)
    assert await round_(posted) == 1
    assert "Resolved" in await shown(posted, EX)


async def test_snooze_until_the_next_update_uses_microsofts_time(posted, triage_channel, technician, clock):
    due = clock.now + timedelta(hours=2, minutes=30)
    post = f"Current status: We're reverting the change.<br><br>Next update by: {due:%A, %B %d, %Y, at %H:%M} UTC"
    posted.runtime.emulator.state.add_post(EX, post)
    clock.advance(minutes=6)
    assert await round_(posted) == 1
    body = await click(posted, triage_channel, technician, SNOOZE_VERB, EX, {SNOOZE_INPUT: "next"})
    assert body["type"] == CARD
    assert from_iso((await controls(posted, EX))["snoozed_until"]) == due.replace(second=0, microsecond=0)


async def test_snooze_until_an_unknown_next_update_is_refused(posted, triage_channel, technician):
    body = await click(posted, triage_channel, technician, SNOOZE_VERB, TM, {SNOOZE_INPUT: "next"})
    assert body["type"] == MESSAGE and "has not announced when its next update" in body["value"]
    assert (await controls(posted, TM))["snoozed_until"] is None
    bad = await click(posted, triage_channel, technician, SNOOZE_VERB, TM, {SNOOZE_INPUT: "forever"})
    assert bad["type"] == MESSAGE and (await controls(posted, TM))["snoozed_until"] is None


async def test_a_muted_customers_changes_do_not_update_the_card(posted, triage_channel, technician, clock):
    body = await click(posted, triage_channel, technician, MUTE_VERB, EX, {MUTE_INPUT: demo.NORTHWIND.tenant_id})
    assert "Muted until resolved: Northwind Traders" in card_text(body["value"])
    assert "Muted until resolved: Northwind Traders" in await shown(posted, EX)
    count = len(await updates_of(posted, EX))

    state = posted.runtime.emulator.state
    clock.advance(minutes=10)
    state.upsert_issue(replace(state.issues[EX], tenants=(demo.FABRIKAM.tenant_id,)))  # Northwind recovers
    assert await round_(posted) == 0, "only the muted customer changed"
    assert len(await updates_of(posted, EX)) == count
    clock.advance(minutes=10)
    state.add_post(EX, "<p>Current status: Fabrikam's mailboxes are next.</p>")
    assert await round_(posted) == 1, "the incident's own news still updates the card"
    text = await shown(posted, EX)
    assert "Fabrikam's mailboxes are next" in text and "Muted until resolved: Northwind Traders" in text


async def test_mute_is_checked_against_the_incidents_customers(posted, triage_channel, technician):
    for tenant in (demo.ADVENTURE_WORKS.tenant_id, demo.STRANGER.tenant_id, "", "not-a-tenant"):
        body = await click(posted, triage_channel, technician, MUTE_VERB, EX, {MUTE_INPUT: tenant})
        assert body["type"] == MESSAGE and "not affected" in body["value"], tenant
    assert (await controls(posted, EX))["muted"] == "[]"
    await click(posted, triage_channel, technician, MUTE_VERB, EX, {MUTE_INPUT: demo.FABRIKAM.tenant_id})
    again = await click(posted, triage_channel, technician, MUTE_VERB, EX, {MUTE_INPUT: demo.FABRIKAM.tenant_id})
    assert "already muted" in again["value"]


async def test_actions_on_a_resolved_or_unknown_incident_are_refused(posted, triage_channel, technician):
    posted.runtime.emulator.state.resolve_issue(EX)
    assert await round_(posted) == 1
    resolved = await shown(posted, EX)
    assert "Resolved" in resolved and "Acknowledge" not in resolved
    body = await click(posted, triage_channel, technician, ACK_VERB, EX)
    assert body["type"] == MESSAGE and "is resolved" in body["value"]
    status, unknown = await posted.send(triage_channel.invoke(technician, ACK_VERB, "EX000000"))
    assert status == 200 and unknown["type"] == MESSAGE and "EX000000" in unknown["value"]


async def test_two_changes_within_five_minutes_make_one_update_and_the_second_shows_after(posted, clock):
    state = posted.runtime.emulator.state
    clock.advance(minutes=6)
    state.add_post(EX, "<p>Current status: First news.</p>")
    assert await round_(posted) == 1
    count = len(await updates_of(posted, EX))
    clock.advance(minutes=2)
    state.add_post(EX, "<p>Current status: Second news.</p>")
    assert await round_(posted) == 0, "inside the window"
    clock.advance(minutes=2)
    assert await round_(posted) == 0, "still inside the window"
    assert "Second news" not in await shown(posted, EX)
    clock.advance(minutes=1, seconds=1)
    assert await round_(posted) == 1, "the first round after the window brings the card up to date"
    assert "Second news" in await shown(posted, EX)
    assert len(await updates_of(posted, EX)) == count + 1
    assert await round_(posted) == 0


async def test_a_status_change_goes_out_at_once(posted, clock):
    state = posted.runtime.emulator.state
    clock.advance(minutes=6)
    state.add_post(EX, "<p>Current status: First news.</p>")
    assert await round_(posted) == 1
    clock.advance(minutes=1)
    state.add_post(EX, "<p>Current status: A fix is rolling out.</p>", status="RestoringService")
    assert await round_(posted) == 1
    assert "A fix is rolling out" in await shown(posted, EX)


async def test_the_window_holds_across_a_restart(tmp_path, connector, triage_channel, technician, clock):
    settings = local_settings(tmp_path, connector)
    first = await start_desk(settings, connector, clock)
    await set_triage_channel(first, triage_channel, technician)
    assert await round_(first) == 2
    for incident in (EX, TM):
        first.runtime.emulator.state.add_post(incident, "<p>Current status: First news.</p>")
    clock.advance(minutes=6)
    assert await round_(first) == 2
    await first.close()

    clock.advance(minutes=2)
    second = await start_desk(settings, connector, clock)
    try:
        # The restarted emulator serves its demo afresh (new times, so a change): still inside the window.
        assert await round_(second) == 0
        clock.advance(minutes=4)
        assert await round_(second) == 2
    finally:
        await second.close()


async def test_an_incident_storm_across_many_tenants_is_one_card(
    tmp_path, connector, triage_channel, technician, clock
):
    settings = local_settings(tmp_path, connector, EMULATOR_STORM_CUSTOMERS="200")
    storm = await start_desk(settings, connector, clock)
    try:
        await set_triage_channel(storm, triage_channel, technician)
        assert await round_(storm) == 2
        storm.runtime.emulator.state.start_storm()
        assert await round_(storm) == 1, "one card for the storm's incident"
        text = await shown(storm, STORM_ID)
        assert "Storm Customer 001" in text and "Storm Customer 200" in text and "Fabrikam, Inc." in text
        activity = await card_id(storm, STORM_ID)
        posted_card = next(s for s in storm.connector.sent if s.response_id == activity).cards[0]
        assert card_size(posted_card) <= MAX_CARD_BYTES
        choices = card_inputs(posted_card)[MUTE_INPUT]["choices"]
        assert len(choices) == MUTE_CHOICES, "a storm's mute list is cut to what a card can carry"
        # Any affected customer can be muted, listed on the card or not (the server checks the incident).
        last = storm.runtime.emulator.state.customers[-1]
        assert last.tenant_id not in {c["value"] for c in choices}
        muted = await click(storm, triage_channel, technician, MUTE_VERB, STORM_ID, {MUTE_INPUT: last.tenant_id})
        assert f"Muted until resolved: {last.name}" in card_text(muted["value"])
        body = await click(storm, triage_channel, technician, ACK_VERB, STORM_ID)
        assert "Acknowledged by Alex Wilber" in card_text(body["value"])
    finally:
        await storm.close()


async def test_a_card_posted_before_noise_control_gets_its_buttons_once(posted, triage_channel, technician):
    await posted.runtime.db.run(lambda cx: cx.execute("DELETE FROM incident_controls"))  # as before the migration
    body = await click(posted, triage_channel, technician, ACK_VERB, EX)
    assert body["type"] == MESSAGE, "no controls yet: refused"
    assert await round_(posted) == 2, "each open incident's card is brought up to date once"
    assert ACK_VERB in card_verbs((await updates_of(posted, EX))[-1].cards[0])
    assert await round_(posted) == 0
    body = await click(posted, triage_channel, technician, ACK_VERB, EX)
    assert "Acknowledged by Alex Wilber" in card_text(body["value"])
