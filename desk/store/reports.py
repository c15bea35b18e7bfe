"""SQL of the reports: one aggregate query per figure over a period, optionally one tenant's tickets only (a
customer's own report). The database counts; no ticket is loaded for a figure.

Times are compared as the ISO texts desk.clock.to_iso writes (UTC, fixed width: they sort as their instants do).
A ticket is done when resolved, or closed without a resolution: COALESCE(resolved_at, closed_at), the expression
migration 24 indexes. Due times already hold business hours, holidays and the time a ticket waited on the
customer (desk/workflow.py moves resolution_due when the clock restarts), so attainment is a comparison."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from desk.clock import to_iso
from desk.reports import Day, DayCount, Deflections, Escalations, Ranked, SlaRow
from desk.store.database import Cx, Row

DONE = "COALESCE(resolved_at, closed_at)"
OPEN = "status NOT IN ('resolved', 'closed')"


def _tenant(tenant_id: str | None, column: str = "customer_tenant_id") -> tuple[str, tuple[Any, ...]]:
    return (f" AND {column} = ?", (tenant_id,)) if tenant_id is not None else ("", ())


def per_day(cx: Cx, days: Sequence[Day], tenant_id: str | None) -> list[DayCount]:
    """Tickets opened and done on each day: each count an index range (tickets_created / tickets_done)."""
    if not days:
        return []
    where, param = _tenant(tenant_id)
    values = ", ".join("(?, ?, ?)" for _ in days)
    params: list[Any] = [x for d in days for x in (d.day.isoformat(), to_iso(d.starts), to_iso(d.ends))]
    rows = cx.all(
        f"WITH days (day, starts, ends) AS (VALUES {values})"
        " SELECT d.day AS day,"
        f" (SELECT COUNT(*) FROM tickets WHERE created_at >= d.starts AND created_at < d.ends{where}) AS opened,"
        f" (SELECT COUNT(*) FROM tickets WHERE {DONE} >= d.starts AND {DONE} < d.ends{where}) AS closed"
        " FROM days d ORDER BY d.day",
        (*params, *param, *param),
    )
    by_day = {str(r["day"]): r for r in rows}
    return [
        DayCount(d.day, int(by_day[d.day.isoformat()]["opened"]), int(by_day[d.day.isoformat()]["closed"]))
        for d in days
    ]


def sla(cx: Cx, start: datetime, end: datetime, now: datetime, tenant_id: str | None) -> list[SlaRow]:
    """First-response and resolution attainment per severity of the tickets opened in [start, end). A target is
    missed when met late, or when it passed unmet by `now` (a resolution clock that stands is not running out, but
    one that stood still only after its target passed has missed it)."""
    where, param = _tenant(tenant_id)
    at = to_iso(now)
    rows = cx.all(
        "SELECT severity,"
        " SUM(CASE WHEN first_response_at <= first_response_due THEN 1 ELSE 0 END) AS response_met,"
        " SUM(CASE WHEN first_response_at > first_response_due"
        "  OR (first_response_at IS NULL AND first_response_due < ?) THEN 1 ELSE 0 END) AS response_missed,"
        f" SUM(CASE WHEN {DONE} <= resolution_due THEN 1 ELSE 0 END) AS resolution_met,"
        # A standing clock stands at sla_paused_at: it cannot run out now, but a target it passed before stays missed.
        f" SUM(CASE WHEN {DONE} > resolution_due OR ({DONE} IS NULL"
        "  AND resolution_due < COALESCE(sla_paused_at, ?)) THEN 1 ELSE 0 END) AS resolution_missed"
        f" FROM tickets WHERE created_at >= ? AND created_at < ?{where} GROUP BY severity ORDER BY severity",
        (at, at, to_iso(start), to_iso(end), *param),
    )
    return [
        SlaRow(
            str(r["severity"]),
            int(r["response_met"] or 0),
            int(r["response_missed"] or 0),
            int(r["resolution_met"] or 0),
            int(r["resolution_missed"] or 0),
        )
        for r in rows
    ]


def csat(cx: Cx, start: datetime, end: datetime, tenant_id: str | None) -> dict[int, int]:
    """Ratings of the tickets done in [start, end): how many of each score."""
    where, param = _tenant(tenant_id)
    rows = cx.all(
        f"SELECT rating, COUNT(*) AS n FROM tickets WHERE {DONE} >= ? AND {DONE} < ? AND rating IS NOT NULL{where}"
        " GROUP BY rating",
        (to_iso(start), to_iso(end), *param),
    )
    return {int(r["rating"]): int(r["n"]) for r in rows}


def backlog(cx: Cx, bounds: Sequence[tuple[str, str | None]], tenant_id: str | None) -> dict[str, int]:
    """Open tickets now, by age: each bucket's label with the creation time it starts after (None: the rest)."""
    where, param = _tenant(tenant_id)
    cases = " ".join("WHEN created_at > ? THEN ?" for _, after in bounds if after is not None)
    params: list[Any] = [x for label, after in bounds if after is not None for x in (after, label)]
    rest = next(label for label, after in bounds if after is None)
    rows = cx.all(
        f"SELECT CASE {cases} ELSE ? END AS bucket, COUNT(*) AS n FROM tickets WHERE {OPEN}{where} GROUP BY 1",
        (*params, rest, *param),
    )
    counts = {label: 0 for label, _ in bounds}
    counts.update({str(r["bucket"]): int(r["n"]) for r in rows})
    return counts


def top(cx: Cx, column: str, start: datetime, end: datetime, tenant_id: str | None, limit: int) -> list[Ranked]:
    """The customers or products with most tickets opened in [start, end), most first (ties by name)."""
    assert column in ("customer_name", "product")  # a column name, never input
    where, param = _tenant(tenant_id)
    rows = cx.all(
        f"SELECT {column} AS name, COUNT(*) AS n FROM tickets WHERE created_at >= ? AND created_at < ?{where}"
        f" GROUP BY {column} ORDER BY n DESC, {column} LIMIT ?",
        (to_iso(start), to_iso(end), *param, limit),
    )
    return [Ranked(str(r["name"]), int(r["n"])) for r in rows]


def _minutes(cx: Cx) -> str:
    if cx.dialect == "postgresql":
        return "EXTRACT(EPOCH FROM (c.responded_at::timestamptz - c.filed_at::timestamptz)) / 60.0"
    return "(julianday(c.responded_at) - julianday(c.filed_at)) * 1440.0"


def escalations(cx: Cx, start: datetime, end: datetime, tenant_id: str | None) -> Escalations:
    """Requests filed with Microsoft in [start, end): counted, Microsoft's average time to respond, late ones."""
    where, param = _tenant(tenant_id, "t.customer_tenant_id")
    row = cx.one(
        "SELECT COUNT(*) AS filed, COUNT(c.responded_at) AS responded,"
        f" AVG(CASE WHEN c.responded_at IS NOT NULL THEN {_minutes(cx)} END) AS minutes,"
        " COUNT(c.late_noted_at) AS late"
        " FROM sr_clocks c JOIN tickets t ON t.id = c.ticket_id"
        f" WHERE c.filed_at >= ? AND c.filed_at < ?{where}",
        (to_iso(start), to_iso(end), *param),
    )
    assert row is not None
    minutes = row["minutes"]
    return Escalations(
        int(row["filed"]),
        int(row["responded"]),
        round(float(minutes), 1) if minutes is not None else None,
        int(row["late"]),
    )


def deflections(cx: Cx, start: datetime, end: datetime, tenant_id: str | None) -> Deflections:
    """Answers offered before a ticket in [start, end), and those that solved the customer's problem."""
    where, param = _tenant(tenant_id, "tenant_id")
    row = cx.one(
        "SELECT COUNT(*) AS offered, SUM(CASE WHEN outcome = 'solved' THEN 1 ELSE 0 END) AS solved"
        f" FROM deflections WHERE offered_at >= ? AND offered_at < ?{where}",
        (to_iso(start), to_iso(end), *param),
    )
    assert row is not None
    return Deflections(int(row["offered"]), int(row["solved"] or 0))


CSV_COLUMNS = (
    "number, customer_name, product, service, severity, status, created_at, first_response_due, first_response_at,"
    f" resolution_due, {DONE} AS done_at, sla_paused_seconds, sla_paused_at, rating, assignee_name, sr_id"
)


def csv_rows(cx: Cx, start: datetime, end: datetime, tenant_id: str | None) -> list[Row]:
    """The tickets behind a report: opened or done in [start, end), by number (two index ranges, one query)."""
    where, param = _tenant(tenant_id)
    bounds = (to_iso(start), to_iso(end))
    return cx.all(
        f"SELECT {CSV_COLUMNS} FROM tickets WHERE ((created_at >= ? AND created_at < ?)"
        f" OR ({DONE} >= ? AND {DONE} < ?)){where} ORDER BY id",
        (*bounds, *bounds, *param),
    )
