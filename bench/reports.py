"""Reports at scale, on SQLite and PostgreSQL: `python -m bench.reports [--small] [--tickets N] [--postgres URL]`.

A desk's worth of realistic tickets (bench/store_fill.py: 100,000 by default over two years, 2% open; here one
closed ticket in seven answered late and a third of the done ones rated) is written fast, then each report is timed
through the desk's own service (desk/report_service.py: one aggregate query per figure), next to the naive way
(bench/reports_baseline.py: every ticket of the period loaded with SELECT *, the figures counted in Python):

- the month report for every customer, and for one customer (the largest);
- the quarter report for every customer;
- the month's CSV rows (the tickets behind the month report).

PostgreSQL runs when a URL is given (--postgres, by default $DESK_TEST_POSTGRES), in a schema of its own dropped
afterwards, as bench.store does. Every figure is checked: tickets opened and done per day, SLA met and missed per
severity, ratings, backlog, top customers and products, and the CSV's tickets must equal the baseline's; a wrong one
exits 1.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench import reports_baseline as naive
from bench import store_fill
from bench.common import Table, arguments, publish
from bench.reports_figures import compare, export_of, timed
from bench.store import Engine, postgres_engine, sqlite_engine
from bench.store_reads import NOW, SLA, Checks, timings
from desk.clock import from_iso_not_null, to_iso
from desk.report_service import Reports, Scope
from desk.reports import Period, PeriodKind, period_ending
from desk.store.database import Database, open_database

ZONE = ZoneInfo("Europe/London")
# store_fill puts its open tickets in the last 30 days: bench.store's 10% would leave three in four of the month's
# tickets open; 2% leaves about a third open, a busy desk's month.
OPEN_SHARE = 0.02
# A third of the done tickets rated, mostly well: set after the fill (store_fill writes no ratings).
RATE = (
    "UPDATE tickets SET rating = CASE id % 10 WHEN 0 THEN 1 WHEN 1 THEN 2 WHEN 2 THEN 3 WHEN 3 THEN 4 WHEN 4 THEN 4"
    " ELSE 5 END WHERE COALESCE(resolved_at, closed_at) IS NOT NULL AND id % 3 = 0"
)


def with_late_answers(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """store_fill's rows, one closed ticket in seven first answered after its target (store_fill answers every
    closed one in time), so that both counts of first-response attainment are exercised."""
    for row in rows:
        if row["resolved_at"] is not None and row["id"] % 7 == 0:
            late = from_iso_not_null(row["first_response_due"]) + timedelta(minutes=10 + row["id"] % 300)
            row = {**row, "first_response_at": to_iso(late)}
        yield row


async def run_engine(engine: Engine, tickets: int, repeat: int, repeat_naive: int, checks: Checks) -> list[Table]:
    """Fill, time and check one engine."""
    await (await open_database(engine.main)).close()  # migrated, empty
    engine.write(engine.main, with_late_answers(store_fill.tickets(tickets, OPEN_SHARE, NOW, SLA)), NOW, SLA)
    db = await open_database(engine.main)
    try:
        await db.run(lambda cx: cx.execute(RATE))
        engine.settle(engine.main)
        reports = Reports(db)
        biggest = await db.read(
            lambda cx: cx.all(
                "SELECT customer_tenant_id AS tenant, customer_name AS name, COUNT(*) AS n FROM tickets"
                " GROUP BY customer_tenant_id, customer_name ORDER BY n DESC LIMIT 1"
            )
        )
        one = Scope(biggest[0]["tenant"], biggest[0]["name"])
        month, quarter = period_ending(PeriodKind.MONTH, NOW, ZONE), period_ending(PeriodKind.QUARTER, NOW, ZONE)
        label = f"{engine.name}: {tickets:,} tickets"
        tables = []
        for title, period, scope in (
            ("month report, every customer", month, Scope()),
            (f"month report, one customer ({one.customer})", month, one),
            ("quarter report, every customer", quarter, Scope()),
        ):
            held = await compare(f"{engine.name} {title}", reports, db, period, scope, checks)

            async def desk(period: Any = period, scope: Scope = scope) -> Any:
                return await reports.report(period, scope, NOW)

            async def baseline(period: Any = period, scope: Scope = scope) -> Any:
                return naive.figures(await naive.load(db, period, scope.tenant_id), period, NOW)

            tables.append(
                timed(f"{label}, {title}", await timings(baseline, repeat_naive), await timings(desk, repeat))
            )
            tables[-1].notes.append(held)
        tables.append(await _csv(label, reports, db, month, repeat, repeat_naive, checks))
    finally:
        await db.close()
    return tables


async def _csv(
    label: str, reports: Reports, db: Database, month: Period, repeat: int, naive_repeat: int, checks: Checks
) -> Table:
    export = export_of(month, NOW)
    rows = await reports.csv_rows(export)
    wanted = naive.csv_rows(await naive.load(db, month, None), month)
    checks.expect([str(r["number"]) for r in rows] == wanted, f"{label}: CSV lists {len(rows)}, baseline {len(wanted)}")

    async def baseline() -> list[str]:
        return naive.csv_rows(await naive.load(db, month, None), month)

    table = timed(
        f"{label}, month CSV rows",
        await timings(baseline, naive_repeat),
        await timings(lambda: reports.csv_rows(export), repeat),
        "desk (one query: two index ranges)",
    )
    table.notes.append(f"{len(rows):,} tickets opened or done in the month")
    return table


async def main(argv: list[str] | None = None) -> int:
    parser = arguments(__doc__)
    parser.add_argument("--tickets", type=int, help="tickets in the database (100,000; --small: 2,000)")
    parser.add_argument("--postgres", default=os.environ.get("DESK_TEST_POSTGRES"), help="PostgreSQL URL (optional)")
    args = parser.parse_args(argv)
    tickets = args.tickets or (2_000 if args.small else 100_000)
    repeat, repeat_naive = (5, 2) if args.small else (30, 10)
    checks = Checks()
    tables: list[Table] = []
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as folder:
        tables += await run_engine(sqlite_engine(Path(folder)), tickets, repeat, repeat_naive, checks)
    if args.postgres:
        engine = postgres_engine(args.postgres)
        try:
            tables += await run_engine(engine, tickets, repeat, repeat_naive, checks)
        finally:
            engine.cleanup()
    else:
        tables[-1].notes.append("PostgreSQL skipped: no --postgres URL and no DESK_TEST_POSTGRES")
    publish("reports", tables, args.json, problems=checks.problems)
    for problem in checks.problems:
        print(f"WRONG: {problem}", file=sys.stderr)
    return 1 if checks.problems else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
