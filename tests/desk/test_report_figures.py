"""Report figures against hand-computed fixtures: tickets driven through the desk's own workflow with business hours
(Mon–Fri 09:00–17:00 UTC), a holiday (Wednesday 14 January 2026) and a pause while waiting on the customer; SLA
attainment per severity, tickets per day, CSAT, backlog by age, top customers, escalations, deflections — for
every customer and for one tenant only (whose report never counts another's tickets). SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from desk.changes import Actor, Rate, Reply, Resolve, SetStatus
from desk.clock import to_iso
from desk.hours import BusinessHours
from desk.people import Role
from desk.report_service import Reports, Scope
from desk.reports import PeriodKind, Report, SlaRow, period_ending, previous_week
from desk.sla import SlaPolicy
from desk.store import reports as report_sql
from desk.store.database import Database
from desk.ticket_service import TicketService
from desk.tickets import Product, Requester, Severity, Status, TicketFields
from tests.desk.test_sla import TARGETS
from tests.support.engines import open_test_database

UTC_ZONE = ZoneInfo("UTC")
HOURS = BusinessHours.parse("Mon-Fri 09:00-17:00", "UTC", "2026-01-14")
NOW = datetime(2026, 1, 26, 10, 0, tzinfo=UTC)  # a Monday
FABRIKAM, NORTHWIND = "tenant-fabrikam", "tenant-northwind"
TECH = Actor("aad-tech", "Alex", Role.TECHNICIAN)
CUSTOMER = Actor("aad-megan", "Megan", Role.CUSTOMER)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_test_database(tmp_path)
    try:
        yield database
    finally:
        await database.close()


async def fixtures(db: Database) -> None:
    """The tickets, each commented with its due times as computed by hand."""
    clock = Clock()
    desk = TicketService(db, SlaPolicy(HOURS, TARGETS), clock)
    number = 0

    async def ticket(tenant: str, severity: Severity, opened: datetime) -> int:
        nonlocal number
        number += 1
        clock.now = opened
        name = "Fabrikam, Inc." if tenant == FABRIKAM else "Northwind Traders"
        requester = Requester(tenant, name, "aad-megan", "Megan", "m@x.example", "chat")
        fields = TicketFields(Product.M365, "Exchange Online", severity, f"Ticket {number}", "Broken", "-")
        return (await desk.create_ticket(f"key-{number}", requester, fields, lambda _: [])).ticket.id

    async def change(ticket_id: int, when: datetime, what: object, actor: Actor = TECH) -> None:
        clock.now = when
        await desk.apply(ticket_id, actor, what, lambda *_: [])  # type: ignore[arg-type]

    # A critical, Fabrikam, Mon 12 15:00: response due Mon 16:00 (answered 15:30: met); resolution 8h = 2h Mon + 6h
    # Tue -> Tue 15:00 (resolved Tue 14:00: met). Rated 5.
    a = await ticket(FABRIKAM, Severity.CRITICAL, at(12, 15))
    await change(a, at(12, 15, 30), Reply("On it"))
    await change(a, at(13, 14), Resolve("Fixed"))
    await change(a, at(13, 15), Rate(5), CUSTOMER)
    # B moderate, Fabrikam, Tue 13 16:00: response 4h = 1h Tue + (Wed holiday) 3h Thu -> Thu 12:00 (answered Thu
    # 11:00: met only because of the holiday). Resolution 24h = 1 Tue + 8 Thu + 8 Fri + 7 Mon -> Mon 19 16:00; it
    # waited on the customer Thu 15 15:00 -> Mon 19 11:00 = 2 + 8 + 2 = 12 business hours, so due Wed 21 12:00
    # (resolved Wed 10:00: met only because of the pause). Rated 3.
    b = await ticket(FABRIKAM, Severity.MODERATE, at(13, 16))
    await change(b, at(15, 11), Reply("Which mailbox?"))
    await change(b, at(15, 15), SetStatus(Status.WAITING))
    await change(b, at(19, 11), SetStatus(Status.IN_PROGRESS))
    await change(b, at(21, 10), Resolve("Fixed"))
    await change(b, at(21, 11), Rate(3), CUSTOMER)
    # C minimal, Northwind, Thu 15 09:00: response 8h -> Thu 17:00 (answered Fri 09:30: missed); resolution 40h ->
    # Wed 21 17:00 (resolved Thu 22 10:00: missed). Rated 2.
    c = await ticket(NORTHWIND, Severity.MINIMAL, at(15, 9))
    await change(c, at(16, 9, 30), Reply("Looking"))
    await change(c, at(22, 10), Resolve("Fixed"))
    await change(c, at(22, 11), Rate(2), CUSTOMER)
    # D critical, Northwind, Mon 19 09:00, never answered: response due 10:00 and resolution Mon 17:00 both missed
    # by now. Open 7 days 1 hour: backlog "up to 30 days".
    d = await ticket(NORTHWIND, Severity.CRITICAL, at(19, 9))
    # E moderate, Fabrikam, Fri 23 16:00, waiting on the customer from 16:30: response due Mon 26 12:00 (not yet),
    # resolution clock standing: neither counts. Backlog "up to 3 days".
    e = await ticket(FABRIKAM, Severity.MODERATE, at(23, 16))
    await change(e, at(23, 16, 30), SetStatus(Status.WAITING))
    # F minimal, Fabrikam, Mon 26 09:30: nothing due yet. Backlog "up to 1 day".
    await ticket(FABRIKAM, Severity.MINIMAL, at(26, 9, 30))
    # G Fabrikam, opened before the period (1 Dec 2025) and still open: backlog "older" only.
    await ticket(FABRIKAM, Severity.MODERATE, datetime(2025, 12, 1, 10, tzinfo=UTC))

    def extras(cx: object) -> None:
        run = cx.execute  # type: ignore[attr-defined]
        # Microsoft's clocks: A answered in 90 min, D in 30 min (and noted late), C not answered.
        for ticket_id, filed, responded, late in (
            (a, at(12, 16), at(12, 17, 30), None),
            (d, at(19, 10), at(19, 10, 30), at(19, 12)),
            (c, at(16, 10), None, None),
        ):
            run(
                "INSERT INTO sr_clocks (ticket_id, sr_id, plan, severity, filed_at, responded_at, late_noted_at)"
                " VALUES (?, ?, 'none', 'b', ?, ?, ?)",
                (ticket_id, f"SR{ticket_id}", to_iso(filed), to_iso(responded), to_iso(late)),
            )
        for n, (tenant, offered, outcome) in enumerate(
            [
                (FABRIKAM, at(14, 10), "solved"),
                (FABRIKAM, at(20, 10), "needed_help"),
                (FABRIKAM, at(21, 10), None),
                (NORTHWIND, at(22, 10), "solved"),
                (NORTHWIND, datetime(2025, 12, 1, tzinfo=UTC), "solved"),  # before the period
            ]
        ):
            run(
                "INSERT INTO deflections (offer_id, tenant_id, requester_aad_id, source, article_id, offered_at,"
                " outcome) VALUES (?, ?, 'aad-megan', 'kb', 'KB1', ?, ?)",
                (f"offer-{n}", tenant, to_iso(offered), outcome),
            )

    await db.run(extras)


async def month(db: Database, scope: Scope | None = None) -> Report:
    await fixtures(db)
    return await Reports(db).report(period_ending(PeriodKind.MONTH, NOW, UTC_ZONE), scope or Scope(), NOW)


async def test_sla_attainment_per_severity_counts_business_hours_holidays_and_pauses(db: Database) -> None:
    report = await month(db)

    assert report.sla == (
        SlaRow("critical", response_met=1, response_missed=1, resolution_met=1, resolution_missed=1),
        SlaRow("minimal", response_met=0, response_missed=1, resolution_met=0, resolution_missed=1),
        SlaRow("moderate", response_met=1, response_missed=0, resolution_met=1, resolution_missed=0),
    )
    assert SlaRow.percent(1, 1) == 50 and SlaRow.percent(0, 0) is None


async def test_tickets_per_day_csat_backlog_top_customers_escalations_and_deflections(db: Database) -> None:
    report = await month(db)

    assert len(report.days) == 30
    assert report.days[0].day == date(2025, 12, 28) and report.days[-1].day == date(2026, 1, 26)
    opened = {d.day.day: d.opened for d in report.days if d.opened and d.day.month == 1}
    closed = {d.day.day: d.closed for d in report.days if d.closed}
    assert opened == {12: 1, 13: 1, 15: 1, 19: 1, 23: 1, 26: 1}
    assert closed == {13: 1, 21: 1, 22: 1}
    assert report.opened == 6 and report.closed == 3
    assert report.csat.counts == {5: 1, 3: 1, 2: 1} and report.csat.average == 3.33
    assert report.backlog == {"1d": 1, "3d": 1, "7d": 0, "30d": 1, "older": 1}
    assert [(r.name, r.count) for r in report.customers] == [("Fabrikam, Inc.", 4), ("Northwind Traders", 2)]
    assert [(r.name, r.count) for r in report.products] == [("microsoft365", 6)]
    assert (report.escalations.filed, report.escalations.responded) == (3, 2)
    assert report.escalations.average_minutes == 60.0 and report.escalations.late == 1
    assert (report.deflections.offered, report.deflections.solved) == (4, 2)


async def test_one_tenants_report_counts_its_own_tickets_only(db: Database) -> None:
    report = await month(db, Scope(FABRIKAM, "Fabrikam, Inc."))

    assert report.sla == (
        SlaRow("critical", 1, 0, 1, 0),
        SlaRow("minimal", 0, 0, 0, 0),
        SlaRow("moderate", 1, 0, 1, 0),
    )
    assert report.opened == 4 and report.closed == 2
    assert report.csat.counts == {5: 1, 3: 1}
    assert report.backlog == {"1d": 1, "3d": 1, "7d": 0, "30d": 0, "older": 1}
    assert [r.name for r in report.customers] == ["Fabrikam, Inc."]
    assert (report.escalations.filed, report.escalations.average_minutes) == (1, 90.0)
    assert (report.deflections.offered, report.deflections.solved) == (3, 1)


async def test_the_csv_rows_are_the_tickets_opened_or_done_in_the_period(db: Database) -> None:
    await fixtures(db)
    week = period_ending(PeriodKind.WEEK, NOW, UTC_ZONE)  # Tue 20 .. Mon 26

    rows = await db.read(lambda cx: report_sql.csv_rows(cx, week.start, week.end, None))

    # B and C were done in the week (opened before), E and F opened in it; A, D and G neither.
    assert [r["number"] for r in rows] == ["T-1002", "T-1003", "T-1005", "T-1006"]


def test_periods_are_the_partners_days() -> None:
    chicago = ZoneInfo("America/Chicago")
    now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # Monday 09:00 in Chicago

    week = period_ending(PeriodKind.WEEK, now, chicago)
    assert week.start == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    assert week.end == datetime(2026, 12, 1, 6, 0, tzinfo=UTC), "today to its end"
    assert week.days[0].day == date(2026, 11, 24) and week.days[-1].day == date(2026, 11, 30)
    assert len(period_ending(PeriodKind.QUARTER, now, chicago).days) == 90

    last = previous_week(now, chicago)
    assert last.start == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    assert last.end == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert [d.day.isoweekday() for d in last.days] == [1, 2, 3, 4, 5, 6, 7]
    # 1 November 2026 (US DST ends) is 25 hours long.
    autumn = period_ending(PeriodKind.WEEK, datetime(2026, 11, 3, 12, tzinfo=UTC), chicago)
    sunday = autumn.days[4]
    assert sunday.day == date(2026, 11, 1)
    assert sunday.ends.astimezone(UTC) - sunday.starts.astimezone(UTC) == timedelta(hours=25)


async def test_a_resolution_missed_before_the_clock_stood_still_counts_as_missed(db: Database) -> None:
    # Waiting on the customer stops the clock from running out, it does not undo a target already missed: a ticket
    # put in "waiting" after its resolution was due must not drop out of the attainment.
    clock = Clock()
    desk = TicketService(db, SlaPolicy(HOURS, TARGETS), clock)
    requester = Requester(FABRIKAM, "Fabrikam, Inc.", "aad-megan", "Megan", "m@x.example", "chat")
    fields = TicketFields(Product.M365, "Exchange Online", Severity.CRITICAL, "Late", "Broken", "-")
    clock.now = at(20, 9)  # critical, Tue 20 09:00: response due 10:00, resolution 8h -> Tue 17:00
    ticket_id = (await desk.create_ticket("key-late", requester, fields, lambda _: [])).ticket.id
    for when, what in ((at(20, 9, 30), Reply("On it")), (at(21, 10), SetStatus(Status.WAITING))):
        clock.now = when
        await desk.apply(ticket_id, TECH, what, lambda *_: [])  # type: ignore[arg-type]

    report = await Reports(db).report(period_ending(PeriodKind.WEEK, NOW, UTC_ZONE), Scope(), NOW)

    assert report.sla == (SlaRow("critical", response_met=1, response_missed=0, resolution_met=0, resolution_missed=1),)
