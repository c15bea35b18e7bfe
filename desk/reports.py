"""Reports: whether the partner kept its word — the period a report covers and the figures the store computes for it.
Pure data and rules, no I/O (the SQL is desk/store/reports.py, one aggregate query per figure).

A period is counted in the partner's days (SUPPORT_TIMEZONE): `week`, `month` and `quarter` are the last 7, 30 and
90 days, today included; the weekly post covers the previous ISO week, Monday to Sunday."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from desk.clock import to_iso


class PeriodKind(StrEnum):
    """The periods `report` accepts."""

    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


DAYS = {PeriodKind.WEEK: 7, PeriodKind.MONTH: 30, PeriodKind.QUARTER: 90}
# Open tickets by age: the upper bound of each bucket in days (None: older), in the order the card shows them.
AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (("1d", 1), ("3d", 3), ("7d", 7), ("30d", 30), ("older", None))
TOP = 5  # customers and products listed


@dataclass(frozen=True)
class Day:
    """One of the partner's days: its date and its UTC bounds (a day of a DST change is 23 or 25 hours)."""

    day: date
    starts: datetime
    ends: datetime


@dataclass(frozen=True)
class Period:
    """What a report covers: [start, end) in UTC, and its days in the partner's time zone."""

    kind: PeriodKind
    start: datetime
    end: datetime
    days: tuple[Day, ...]


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _days(first: date, count: int, end: datetime, zone: ZoneInfo) -> tuple[Day, ...]:
    days = []
    for n in range(count):
        day = first + timedelta(days=n)
        starts, ends = _midnight(day, zone), _midnight(day + timedelta(days=1), zone)
        days.append(Day(day, starts, min(ends, end)))
    return tuple(days)


def period_ending(kind: PeriodKind, now: datetime, zone: ZoneInfo) -> Period:
    """The last 7, 30 or 90 of the partner's days, today included (to its end: nothing is later than now yet)."""
    count = DAYS[kind]
    today = now.astimezone(zone).date()
    first = today - timedelta(days=count - 1)
    end = _midnight(today + timedelta(days=1), zone)
    return Period(kind, _midnight(first, zone), end, _days(first, count, end, zone))


def previous_week(now: datetime, zone: ZoneInfo) -> Period:
    """The ISO week before the one `now` falls in, Monday 00:00 to the next Monday 00:00, partner time."""
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.isoweekday() - 1 + 7)
    end = _midnight(monday + timedelta(days=7), zone)
    return Period(PeriodKind.WEEK, _midnight(monday, zone), end, _days(monday, 7, end, zone))


@dataclass(frozen=True)
class DayCount:
    """Tickets opened and done (resolved, or closed unresolved) on one day."""

    day: date
    opened: int
    closed: int


@dataclass(frozen=True)
class SlaRow:
    """Tickets of one severity opened in the period, by whether each target was met. Tickets whose target has not
    come yet (or whose resolution clock stands, waiting on the customer) are in neither count."""

    severity: str
    response_met: int
    response_missed: int
    resolution_met: int
    resolution_missed: int

    @staticmethod
    def percent(met: int, missed: int) -> int | None:
        """Attainment in whole percent; None when nothing was due."""
        return round(100 * met / (met + missed)) if met + missed else None


@dataclass(frozen=True)
class Csat:
    """Customer ratings (1–5) of tickets done in the period."""

    counts: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def average(self) -> float | None:
        total = self.total
        return round(sum(score * n for score, n in self.counts.items()) / total, 2) if total else None


@dataclass(frozen=True)
class Ranked:
    """A name (customer or product) and its tickets opened in the period."""

    name: str
    count: int


@dataclass(frozen=True)
class Escalations:
    """Service requests filed with Microsoft in the period: how many Microsoft answered, how fast on average, and how
    many were late (the desk noted Microsoft's lateness on the ticket)."""

    filed: int
    responded: int
    average_minutes: float | None
    late: int


@dataclass(frozen=True)
class Deflections:
    """Answers offered to customers before a ticket in the period, and those the customer said solved it."""

    offered: int
    solved: int


@dataclass(frozen=True)
class Report:
    """Every figure of one report."""

    period: Period
    customer: str | None  # the one customer it is about, or None: every customer
    days: tuple[DayCount, ...]
    sla: tuple[SlaRow, ...]
    csat: Csat
    backlog: dict[str, int]
    customers: tuple[Ranked, ...]
    products: tuple[Ranked, ...]
    escalations: Escalations
    deflections: Deflections

    @property
    def opened(self) -> int:
        return sum(d.opened for d in self.days)

    @property
    def closed(self) -> int:
        return sum(d.closed for d in self.days)


def age_bounds(now: datetime) -> list[tuple[str, str | None]]:
    """Each backlog bucket's label and the creation time it starts after (ISO, UTC; None: no lower bound)."""
    return [(label, to_iso(now - timedelta(days=days)) if days else None) for label, days in AGE_BUCKETS]
