"""The reports the naive way, for `python -m bench.reports` to time the desk's against: every ticket of the period
(and every open one, for the backlog) loaded with SELECT *, each figure then counted in Python by the rules of
desk/store/reports.py (times compared as the ISO texts the store writes, as the SQL compares them)."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from desk.clock import to_iso
from desk.reports import DayCount, Period, Ranked, SlaRow, age_bounds
from desk.store.database import Database, Row

DONE_STATES = ("resolved", "closed")


@dataclass(frozen=True)
class Figures:
    """What both ways compute: per day, SLA per severity, ratings, backlog, and the counts of every name."""

    days: tuple[DayCount, ...]
    sla: tuple[SlaRow, ...]
    csat: dict[int, int]
    backlog: dict[str, int]
    customers: dict[str, int]  # every customer's tickets opened in the period (the desk lists the top ones)
    products: dict[str, int]


async def load(db: Database, period: Period, tenant_id: str | None) -> list[Row]:
    """Every ticket opened, resolved or closed since the period started, or open now: whole rows."""
    start = to_iso(period.start)
    sql = (
        "SELECT * FROM tickets WHERE (created_at >= ? OR resolved_at >= ? OR closed_at >= ?"
        " OR status NOT IN ('resolved', 'closed'))"
    )
    params: tuple[Any, ...] = (start, start, start)
    if tenant_id is not None:
        sql, params = sql + " AND customer_tenant_id = ?", (*params, tenant_id)
    return await db.read(lambda cx: cx.all(sql, params))


def _done(row: Row) -> str | None:
    done: str | None = row["resolved_at"] or row["closed_at"]
    return done


def figures(rows: list[Row], period: Period, now: datetime) -> Figures:
    """Every figure of `period` from loaded rows."""
    start, end, at = to_iso(period.start) or "", to_iso(period.end) or "", to_iso(now) or ""
    starts = [to_iso(d.starts) or "" for d in period.days]
    ends = [to_iso(d.ends) or "" for d in period.days]
    opened, closed = [0] * len(starts), [0] * len(starts)

    def day_of(moment: str | None) -> int | None:
        if moment is None:
            return None
        index = bisect_right(starts, moment) - 1
        return index if index >= 0 and moment < ends[index] else None

    sla: dict[str, list[int]] = {}
    csat: Counter[int] = Counter()
    customers: Counter[str] = Counter()
    products: Counter[str] = Counter()
    bounds = age_bounds(now)
    backlog = {label: 0 for label, _ in bounds}
    for row in rows:
        created, done = row["created_at"], _done(row)
        if (index := day_of(created)) is not None:
            opened[index] += 1
        if (index := day_of(done)) is not None:
            closed[index] += 1
        if done is not None and start <= done < end and row["rating"] is not None:
            csat[int(row["rating"])] += 1
        if row["status"] not in DONE_STATES:
            backlog[next(label for label, after in bounds if after is None or created > after)] += 1
        if start <= created < end:
            customers[row["customer_name"]] += 1
            products[row["product"]] += 1
            counts = sla.setdefault(row["severity"], [0, 0, 0, 0])
            for position, hit in enumerate(_attainment(row, done, at)):
                counts[position] += hit
    return Figures(
        tuple(DayCount(d.day, o, c) for d, o, c in zip(period.days, opened, closed, strict=True)),
        tuple(SlaRow(severity, *sla[severity]) for severity in sorted(sla)),
        dict(csat),
        backlog,
        dict(customers),
        dict(products),
    )


def _attainment(row: Row, done: str | None, at: str) -> tuple[bool, bool, bool, bool]:
    """Response met, response missed, resolution met, resolution missed: NULLs compare as SQL's (never true)."""
    responded, response_due = row["first_response_at"], row["first_response_due"]
    resolution_due, paused = row["resolution_due"], row["sla_paused_at"]
    if response_due is None:
        response = (False, False)
    elif responded is None:
        response = (False, response_due < at)
    else:
        response = (responded <= response_due, responded > response_due)
    if resolution_due is None:
        resolution = (False, False)
    elif done is None:
        resolution = (False, resolution_due < (paused or at))
    else:
        resolution = (done <= resolution_due, done > resolution_due)
    return (*response, *resolution)


def csv_rows(rows: list[Row], period: Period) -> list[str]:
    """The numbers of the tickets opened or done in the period, by id (what the desk's CSV lists)."""
    start, end = to_iso(period.start) or "", to_iso(period.end) or ""
    chosen = [r for r in rows if start <= r["created_at"] < end or start <= (_done(r) or "") < end]
    return [str(r["number"]) for r in sorted(chosen, key=lambda r: int(r["id"]))]


def top_agrees(listed: tuple[Ranked, ...], counts: dict[str, int], limit: int) -> bool:
    """The desk's top list is the most counted names (ties may fall either way: collations order names apart)."""
    wanted = sorted(counts.values(), reverse=True)[:limit]
    return [r.count for r in listed] == wanted and all(counts.get(r.name) == r.count for r in listed)
