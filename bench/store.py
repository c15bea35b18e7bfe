"""The store at scale, on SQLite and PostgreSQL: `python -m bench.store [--small] [--tickets N] [--postgres URL]`.

A desk's worth of realistic tickets (bench/store_fill.py: 100,000 by default, 10% open) is written fast, then each
read technicians and jobs make is timed through the desk's own service, next to the way main did it (kept in
bench/store_baseline.py: every open ticket loaded and sorted, filtered and counted in Python; search by LIKE):

- queue: the first page, and filtered pages (mine / unassigned critical / a customer's name), with their counts;
- customers: open tickets per customer;
- SLA check: the tickets whose alerts are due, as the minute's check reads them;
- search: a word that matches nothing, and one that matches many;
- write rates: tickets created through desk.create_ticket (baseline: the statements of before, on the schema of
  before, over the same rows), and outbox heads claimed and recorded as the sender does.

PostgreSQL runs when a URL is given (--postgres, by default $DESK_TEST_POSTGRES; `python -m tests.support.pg_server --
python -m bench.store` starts a throw-away server), in a schema of its own dropped afterwards. Every figure is
checked: the new queue pages, counts, due alerts and search results must equal (or, for search, agree with) the old
ones, every created ticket must be there once and every queued message claimed once; a wrong one exits 1.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import store_fill, store_rates
from bench.common import Table, arguments, publish, rss_mb
from bench.store_reads import NOW, SLA, Checks, Size, reads
from desk.service import Desk
from desk.sla import SlaPolicy
from desk.store.database import Database, open_database


@dataclass
class Engine:
    """Where one engine's two databases are: `main` on the schema of now, `before` on the schema before issue 13."""

    name: str
    main: str
    before: str
    write: Callable[[str, Iterable[dict[str, Any]], datetime, SlaPolicy], int]
    cleanup: Callable[[], None] = lambda: None
    # After the first check planned every open ticket: what the database does by itself before anyone reads (the
    # vacuum PostgreSQL's autovacuum runs once 2% of the tickets changed, migration 14's setting).
    settle: Callable[[str], None] = lambda url: None


async def run_engine(engine: Engine, size: Size, checks: Checks, claims: Table) -> list[Table]:
    """Fill, time and check one engine; its claim rate goes into `claims`."""
    await (await open_database(engine.main)).close()  # migrated, empty
    with store_rates.schema_before_issue_13():
        await (await open_database(engine.before)).close()
    started = time.perf_counter()
    rows = store_fill.tickets(size.tickets, size.open_share, NOW, SLA)
    opened = engine.write(engine.main, rows, NOW, SLA)
    filled = time.perf_counter() - started
    engine.write(engine.before, store_fill.tickets(size.tickets, size.open_share, NOW, SLA), NOW, SLA)
    label = f"{size.tickets:,} tickets, {opened:,} open"
    db = await open_database(engine.main)
    desk = Desk(db, SLA, lambda: NOW)
    try:
        started = time.perf_counter()
        await desk.sla_due(NOW)  # plans every open ticket's next alert: what the first check after the upgrade does
        planned = time.perf_counter() - started
        engine.settle(engine.main)
        tables = await reads(engine.name, db, desk, size, checks, label)
        tables[0].notes.append(
            f"filled in {filled:.1f} s; the first SLA check planned every open ticket in {planned:.2f} s"
            + ("; then VACUUM (autovacuum's pass)" if engine.name == "PostgreSQL" else "")
        )
        seconds, counted = await store_rates.claim_all(db, size.messages, NOW)
        checks.expect(
            len(counted) == size.messages and set(counted.values()) == {1},
            f"{engine.name}: {len(counted)} messages claimed of {size.messages}, some more than once",
        )
        claims.add(engine.name, messages=size.messages, claims_per_s=size.messages / seconds)
        tables.append(await _inserts(engine, db, desk, size, checks, label))
    finally:
        await db.close()
    return tables


async def _inserts(engine: Engine, db: Database, desk: Desk, size: Size, checks: Checks, label: str) -> Table:
    seconds, made = await store_rates.create_through_desk(desk, size.inserts)
    checks.expect(len({t.number for t in made}) == size.inserts, f"{engine.name}: created tickets are not distinct")
    found = await desk.search([made[-1].number, "outlook", "bench"])
    checks.expect([t.id for t in found] == [made[-1].id], f"{engine.name}: a created ticket is not found by search")
    with store_rates.schema_before_issue_13():
        before = await open_database(engine.before)
    try:
        baseline = await store_rates.create_as_before(before, size.inserts, NOW, lambda s: SLA.dues(NOW, s))
    finally:
        await before.close()
    table = Table(
        f"{engine.name}: tickets created one after another ({label})",
        ("tickets", "per_s", "ms_each"),
        baseline="before (schema and statements of main)",
        ratio_of="per_s",
    )
    for name, spent in (("before (schema and statements of main)", baseline), ("desk.create_ticket now", seconds)):
        table.add(name, tickets=size.inserts, per_s=size.inserts / spent, ms_each=spent * 1000 / size.inserts)
    table.notes.append("now also keeps the search index, the queue's indexes and the ticket's next alert time")
    return table


def sqlite_engine(folder: Path) -> Engine:
    def write(url: str, rows: Iterable[dict[str, Any]], now: datetime, sla: SlaPolicy) -> int:
        return store_fill.write_sqlite(url.removeprefix("sqlite:///"), rows, now, sla)

    return Engine("SQLite", f"sqlite:///{folder}/desk.db", f"sqlite:///{folder}/before.db", write)


def postgres_engine(server: str) -> Engine:
    import psycopg

    from tests.support.engines import schema_url

    schemas = [f"bench_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    with psycopg.connect(server, autocommit=True) as connection:
        for schema in schemas:
            connection.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with psycopg.connect(server, autocommit=True) as connection:
            for schema in schemas:
                connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    def vacuum(url: str) -> None:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE tickets")

    main, before = schema_url(server, schemas[0]), schema_url(server, schemas[1])
    return Engine("PostgreSQL", main, before, store_fill.write_postgres, drop, vacuum)


async def main(argv: list[str] | None = None) -> int:
    parser = arguments(__doc__)
    parser.add_argument("--tickets", type=int, help="tickets in the database (100,000; --small: 2,000)")
    parser.add_argument("--open-share", type=float, default=0.1, help="share of them still open (0.1)")
    parser.add_argument("--postgres", default=os.environ.get("DESK_TEST_POSTGRES"), help="PostgreSQL URL (optional)")
    args = parser.parse_args(argv)
    tickets = args.tickets or (2_000 if args.small else 100_000)
    size = Size(
        tickets,
        args.open_share,
        repeat=40 if args.small else 300,
        repeat_old=5 if args.small else 30,
        inserts=50 if args.small else 500,
        messages=200 if args.small else 2_000,
    )
    at_rest = rss_mb()
    checks = Checks()
    claims = Table("outbox: heads claimed and recorded as the sender does", ("messages", "claims_per_s"))
    tables: list[Table] = []
    with tempfile.TemporaryDirectory(prefix="bench-store-") as folder:
        tables += await run_engine(sqlite_engine(Path(folder)), size, checks, claims)
    if args.postgres:
        engine = postgres_engine(args.postgres)
        try:
            tables += await run_engine(engine, size, checks, claims)
        finally:
            engine.cleanup()
    else:
        claims.notes.append("PostgreSQL skipped: no --postgres URL and no DESK_TEST_POSTGRES")
    if len(claims.rows) > 1:
        claims.baseline, claims.ratio_of = "SQLite", "claims_per_s"
    tables.append(claims)
    after = rss_mb()
    memory = Table("memory of this process (MiB)", ("rss_mb",))
    memory.add("at rest", rss_mb=at_rest)
    memory.add("after the runs", rss_mb=after)
    tables.append(memory)
    publish("store", tables, args.json, rss_at_rest_mb=at_rest, rss_after_mb=after, problems=checks.problems)
    for problem in checks.problems:
        print(f"WRONG: {problem}", file=sys.stderr)
    return 1 if checks.problems else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
