"""The SLA check reads only the tickets whose next alert time (tickets.next_alert_at) has come: that time is right
after every change, the check finds exactly the alerts main's check of every open ticket found, and a new policy
plans every open ticket again. On both engines."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import store_baseline
from desk.changes import (
    Actor,
    AssignTo,
    Change,
    Confirm,
    CustomerMessage,
    Escalate,
    Note,
    Rate,
    Reject,
    Reopen,
    Reply,
    Resolve,
    SetSeverity,
    SetStatus,
    SrUpdate,
)
from desk.clock import from_iso, to_iso
from desk.hours import BusinessHours
from desk.people import Role
from desk.service import Desk
from desk.sla import SlaPolicy
from desk.sla_plan import PLANNED_WITH, policy_mark
from desk.sla_watch import due_alerts, next_alert
from desk.store import alerts as alert_sql
from desk.store import conversations as meta_sql
from desk.store import tickets as ticket_sql
from desk.store.database import Database
from desk.tickets import Product, Requester, Severity, Status, Ticket, TicketFields
from desk.workflow import Refused
from tests.desk.store_rig import NOW, Shape, shapes, write
from tests.desk.test_store import POLICY
from tests.support.engines import open_test_database
from tests.support.harness import FixedClock

TECH = Actor("aad-tech", "Alex", Role.TECHNICIAN)
SCHEDULES = (
    "Mon-Fri 09:00-17:00",
    "24x7",
    "Mon-Fri 08:00-12:00, 13:00-18:00; Sat 10:00-14:00",
    "Mon,Wed,Fri 22:00-24:00; Tue,Thu,Sat 00:00-06:00",
    "Sun 09:00-10:00",
)
ZONES = ("UTC", "Europe/London", "America/Los_Angeles", "Pacific/Auckland")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_test_database(tmp_path)
    yield database
    await database.close()


@given(
    spec=st.sampled_from(SCHEDULES),
    zone=st.sampled_from(ZONES),
    holiday=st.sampled_from(["", "2026-03-30", "2026-10-26,2026-10-27"]),
    due=st.integers(0, 60 * 24 * 40).map(lambda minutes: NOW.replace(month=3, day=20) + timedelta(minutes=minutes)),
    lead=st.integers(1, 60 * 30).map(lambda minutes: timedelta(minutes=minutes)),
)
def test_before_is_the_earliest_instant_with_at_most_that_much_business_time_left(spec, zone, holiday, due, lead):
    hours = BusinessHours.parse(spec, zone, holiday)
    start = hours.before(due, lead)
    assert hours.elapsed(start, due) <= lead
    assert hours.elapsed(start - timedelta(microseconds=1), due) > lead


def test_before_skips_closed_time_back_to_the_last_closing() -> None:
    hours = BusinessHours.parse("Mon-Fri 09:00-17:00", "UTC")
    monday_0930 = NOW.replace(hour=9, minute=30)  # NOW is Monday 12 January 2026
    # Half an hour of Monday, then the weekend counts for nothing: Friday 17:00 minus the other 15 minutes.
    assert hours.before(monday_0930, timedelta(minutes=45)) == NOW.replace(day=9, hour=16, minute=45)
    # Exactly Monday's half hour: every instant back to Friday's closing has as much left; the earliest is 17:00.
    assert hours.before(monday_0930, timedelta(minutes=30)) == NOW.replace(day=9, hour=17, minute=0)


@given(
    shape=shapes,
    sent=st.sets(st.sampled_from(["response_reminder", "response_breach", "resolution_reminder", "resolution_breach"])),
    minutes=st.integers(-24 * 60, 5 * 24 * 60),
)
def test_next_alert_has_come_exactly_when_an_unsent_alert_is_due(shape: Shape, sent: set[str], minutes: int) -> None:
    ticket = _ticket(shape)
    dues = {"response": ticket.first_response_due, "resolution": ticket.resolution_due}
    sent_pairs = {(kind, dues[kind.split("_")[0]]) for kind in sent if dues[kind.split("_")[0]] is not None}
    now = NOW + timedelta(minutes=minutes)
    checked = [ticket] if ticket.is_open else []  # main's check read open tickets only
    unsent = [a for a in due_alerts(checked, now, POLICY) if (a.kind, a.due) not in sent_pairs]
    at = next_alert(ticket, sent_pairs, POLICY)
    assert bool(unsent) == (at is not None and at <= now)


@settings(max_examples=40)
@given(shaped=st.lists(shapes, max_size=20), steps=st.lists(st.integers(1, 8 * 60), min_size=1, max_size=6))
async def test_each_check_finds_exactly_the_alerts_mains_check_of_every_open_ticket_found(
    db: Database, shaped: list[Shape], steps: list[int]
) -> None:
    await db.run(lambda cx: write(cx, shaped))
    clock = FixedClock(NOW - timedelta(hours=4))
    desk = Desk(db, POLICY, clock)
    for minutes in steps:
        clock.advance(minutes=minutes)
        sent = await _sent(db)
        wanted = {(a.ticket.id, a.kind, a.due) for a in await store_baseline.sla_alerts(db, clock.now, POLICY)} - sent
        picked = await desk.sla_due(clock.now)
        alerts = due_alerts(picked, clock.now, POLICY)
        assert {(a.ticket.id, a.kind, a.due) for a in alerts} - sent == wanted
        assert {t.id for t in picked} == {ticket_id for ticket_id, _, _ in wanted}, "only tickets with news are read"
        await desk.send_sla_alerts(alerts, lambda alert: [], picked)


changes = st.one_of(
    st.builds(AssignTo, st.sampled_from(["aad-tech", "aad-other"]), st.just("Tech")),
    st.builds(SetSeverity, st.sampled_from(list(Severity))),
    st.builds(SetStatus, st.sampled_from(list(Status))),
    st.builds(Reply, st.just("On it.")),
    st.builds(Note, st.just("Checked.")),
    st.builds(Resolve, st.just("Fixed.")),
    st.just(Reopen()),
    st.builds(CustomerMessage, st.just("Still broken.")),
    st.just(Confirm()),
    st.just(Reject()),
    st.builds(Rate, st.integers(1, 5)),
    st.builds(Escalate, st.sampled_from(["sr-1", "sr-2"]), st.just("open"), st.just("email")),
    st.builds(SrUpdate, st.sampled_from(["open", "closed"]), st.integers(0, 3)),
)


@settings(max_examples=40)
@given(
    severities=st.lists(st.sampled_from(list(Severity)), min_size=1, max_size=3),
    steps=st.lists(st.tuples(st.integers(0, 2), changes, st.integers(0, 6 * 60), st.booleans()), max_size=12),
)
async def test_next_due_and_next_alert_stay_right_across_every_change(
    db: Database, severities: list[Severity], steps: list[tuple[int, Change, int, bool]]
) -> None:
    await db.run(lambda cx: write(cx, []))
    clock = FixedClock(NOW)
    desk = Desk(db, POLICY, clock)
    ids = []
    for index, severity in enumerate(severities):
        requester = Requester("tenant", "Fabrikam, Inc.", f"aad-customer-{index}", "Megan", "m@x.example", "a:x")
        fields = TicketFields(Product.M365, "Exchange Online", severity, "Mail is down", "Nobody can send mail.", "-")
        ids.append((await desk.create_ticket(f"key-{index}", requester, fields, lambda ticket: [])).ticket.id)
    await _assert_planned(db)
    for which, change, minutes, check in steps:
        clock.advance(minutes=minutes)
        ticket_id = ids[which % len(ids)]
        ticket = await desk.ticket(ticket_id)
        assert ticket is not None
        customer = Actor(ticket.requester.aad_id, "Megan", Role.CUSTOMER)
        actor = customer if isinstance(change, CustomerMessage | Confirm | Reject | Rate) else TECH
        with contextlib.suppress(Refused):
            await desk.apply(ticket_id, actor, change, lambda *args: [])
        if check:  # the minute's check sends what is due, which moves the next alert on
            picked = await desk.sla_due(clock.now)
            await desk.send_sla_alerts(due_alerts(picked, clock.now, POLICY), lambda alert: [], picked)
        await _assert_planned(db)


async def test_another_policy_plans_every_open_ticket_again(db: Database) -> None:
    shaped = [
        Shape("Fabrikam, Inc.", Severity.CRITICAL, Status.NEW, None, NOW + timedelta(hours=1), NOW + timedelta(hours=8),
              None, None),
        Shape("Contoso Ltd", Severity.MINIMAL, Status.IN_PROGRESS, "x", None, NOW + timedelta(days=3), NOW, None),
        Shape("Contoso Ltd", Severity.MINIMAL, Status.CLOSED, "x", None, NOW + timedelta(days=3), NOW, None),
    ]  # fmt: skip
    await db.run(lambda cx: write(cx, shaped))
    await Desk(db, POLICY, lambda: NOW).sla_due(NOW)
    await _assert_planned(db)
    weekends = SlaPolicy(BusinessHours.parse("Sat-Sun 10:00-16:00", "Europe/London"), POLICY.targets)
    picked = await Desk(db, weekends, lambda: NOW).sla_due(NOW)
    # On Monday morning no weekend business time is left before either open ticket's deadlines: both are due.
    assert {t.id for t in picked} == {t.id for t in await db.read(store_baseline.open_tickets)} == {1, 2}
    await _assert_planned(db, weekends)
    assert await db.read(lambda cx: meta_sql.get_meta(cx, PLANNED_WITH)) == policy_mark(weekends)
    assert policy_mark(weekends) != policy_mark(POLICY)


async def _sent(db: Database) -> set[tuple[int, str, object]]:
    rows = await db.read(lambda cx: cx.all("SELECT ticket_id, kind, due FROM sla_alerts"))
    return {(r["ticket_id"], r["kind"], from_iso(r["due"])) for r in rows}


async def _assert_planned(db: Database, policy: SlaPolicy = POLICY) -> None:
    """Every ticket's stored next_due_at and next_alert_at are what its state (and the alerts sent) say now."""
    rows = await db.read(lambda cx: cx.all("SELECT id, next_due_at, next_alert_at FROM tickets"))
    for row in rows:
        ticket = await db.read(lambda cx, i=row["id"]: ticket_sql.get_ticket(cx, i))
        sent = await db.read(lambda cx, i=row["id"]: alert_sql.sent_of(cx, i))
        assert ticket is not None
        assert row["next_due_at"] == to_iso(ticket.next_due), ticket
        assert row["next_alert_at"] == to_iso(next_alert(ticket, sent, policy)), (ticket, sent)


def _ticket(shape: Shape) -> Ticket:
    requester = Requester("tenant", shape.customer, "aad", "Megan", "m@x.example", "a:x")
    return Ticket(
        id=1,
        number="T-1001",
        requester=requester,
        fields=TicketFields(Product.M365, "Exchange Online", shape.severity, shape.title, shape.description, "-"),
        status=shape.status,
        created_at=NOW,
        updated_at=NOW,
        updated_by="x",
        assignee_id=shape.assignee,
        first_response_due=shape.response_due,
        resolution_due=shape.resolution_due,
        first_response_at=shape.responded,
        sla_paused_at=shape.paused,
    )
