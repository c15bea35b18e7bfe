"""The reads `python -m bench.store` times, each the old way (bench/store_baseline.py) and the new, through the
desk's own service; each new answer is checked against the old one first."""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench import store_baseline as old
from bench import store_fill
from bench.common import Table, median, percentile
from desk.hours import BusinessHours
from desk.queue import PAGE, Position, QueueQuery, queue_query
from desk.service import Desk
from desk.settings_support import SLA_DEFAULTS
from desk.sla import SlaPolicy
from desk.sla_watch import due_alerts
from desk.store.database import Database
from desk.support import SlaTargets, parse_targets
from desk.tickets import Ticket

NOW = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # a Tuesday, in business hours
SLA = SlaPolicy(
    BusinessHours.parse("Mon-Fri 08:00-18:00", "Europe/London"),
    SlaTargets(parse_targets(SLA_DEFAULTS["SLA_FIRST_RESPONSE"]), parse_targets(SLA_DEFAULTS["SLA_RESOLUTION"])),
)
ME = store_fill.TECHNICIANS[3]
MISS, MANY = "zyxwvut", "outlook"


@dataclass(frozen=True)
class Size:
    tickets: int
    open_share: float
    repeat: int  # timings of each new read
    repeat_old: int  # timings of each old read (a few hundred ms each at full size)
    inserts: int
    messages: int


@dataclass
class Checks:
    problems: list[str] = field(default_factory=list)

    def expect(self, holds: bool, what: str) -> None:
        if not holds:
            self.problems.append(what)
            print(f"WRONG: {what}", file=sys.stderr)


async def timings(operation: Callable[[], Awaitable[Any]], repeat: int) -> list[float]:
    """Milliseconds of `repeat` runs, after two unmeasured ones."""
    for _ in range(2):
        await operation()
    spent = []
    for _ in range(repeat):
        started = time.perf_counter()
        await operation()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def pair(title: str, before: list[float], after: list[float], note: str = "") -> Table:
    """A table of the old and new way of one read: p50 and p99 in ms, the new one's gain."""
    table = Table(title, ("runs", "p50_ms", "p99_ms"), baseline="old", ratio_of="p50_ms", higher_is_better=False)
    for name, spent in (("old", before), ("new", after)):
        table.add(name, runs=len(spent), p50_ms=median(spent), p99_ms=percentile(spent, 0.99))
    if note:
        table.notes.append(note)
    return table


async def reads(engine: str, db: Database, desk: Desk, size: Size, checks: Checks, label: str) -> list[Table]:
    """The reads, old and new, timed and checked against each other."""
    tables = []
    first = await desk.queue_page(queue_query("", ME))
    everything = await old.queue(db, "", ME, NOW)
    checks.expect(_ids(first.tickets) == _ids(everything[:PAGE]), f"{engine}: the first page differs from main's")
    checks.expect(first.total == len(everything), f"{engine}: the queue's count differs from main's")
    tables.append(
        pair(
            f"{engine}: queue, first page ({label})",
            await timings(lambda: old.queue(db, "", ME, NOW), size.repeat_old),
            await timings(lambda: desk.queue_page(queue_query("", ME)), size.repeat),
            f"{first.total:,} open tickets in the heading",
        )
    )
    filters = ["mine", "unassigned critical", everything[0].requester.customer_name.split()[0].lower()]
    for args in filters:
        await _same_queue(engine, db, desk, queue_query(args, ME), checks)
    turn = iter(range(10**9))
    tables.append(
        pair(
            f"{engine}: queue, filtered ({' / '.join(filters)}, in turn)",
            await timings(lambda: old.queue(db, filters[next(turn) % 3], ME, NOW), size.repeat_old),
            await timings(lambda: desk.queue_page(queue_query(filters[next(turn) % 3], ME)), size.repeat),
        )
    )
    checks.expect(await desk.open_counts() == await old.customer_counts(db), f"{engine}: counts per customer differ")
    tables.append(
        pair(
            f"{engine}: customers' open-ticket counts",
            await timings(lambda: old.customer_counts(db), size.repeat_old),
            await timings(desk.open_counts, size.repeat),
        )
    )
    tables.append(await _sla(engine, db, desk, size, checks))
    tables += await _search(engine, db, desk, size, checks)
    return tables


async def _same_queue(engine: str, db: Database, desk: Desk, query: QueueQuery, checks: Checks) -> None:
    """Every page of `query`, read by its "show more" positions, equals main's whole sorted list."""
    wanted = await old.queue(db, " ".join(query.words), ME, NOW)
    pages, after = [], None
    while True:
        page = await desk.queue_page(query, after)
        pages += page.tickets
        counted = f"{engine}: queue {query.words} counts {page.total}, not {len(wanted)}"
        checks.expect(page.total == len(wanted), counted)
        if not page.more:
            break
        after = Position(page.tickets[-1].next_due, page.tickets[-1].id)
    checks.expect(_ids(pages) == _ids(wanted), f"{engine}: the pages of queue {query.words} differ from main's list")


async def _sla(engine: str, db: Database, desk: Desk, size: Size, checks: Checks) -> Table:
    sent = {(r["ticket_id"], r["kind"], r["due"]) for r in await db.read(lambda cx: cx.all("SELECT * FROM sla_alerts"))}

    def unsent(alerts: list[Any]) -> set[tuple[int, str, str]]:
        return {(a.ticket.id, a.kind, a.due.astimezone(UTC).isoformat(timespec="microseconds")) for a in alerts} - sent

    async def new() -> list[Any]:
        return due_alerts(await desk.sla_due(NOW), NOW, SLA)

    due_new, due_old = unsent(await new()), unsent(await old.sla_alerts(db, NOW, SLA))
    checks.expect(due_new == due_old, f"{engine}: the SLA check finds {len(due_new)} alerts due, main {len(due_old)}")
    return pair(
        f"{engine}: SLA check (the tickets with an alert due)",
        await timings(lambda: old.sla_alerts(db, NOW, SLA), size.repeat_old),
        await timings(new, size.repeat),
        f"{len(due_new)} alerts due and not sent yet, found by both",
    )


async def _search(engine: str, db: Database, desk: Desk, size: Size, checks: Checks) -> list[Table]:
    tables = []
    for word, what in ((MISS, "a word that matches nothing"), (MANY, "a word that matches many")):
        found = await desk.search([word])
        before = await db.run(lambda cx, w=word: old.search_tickets(cx, [w]))
        texts = [f"{t.fields.title} {t.fields.description} {t.requester.customer_name}".lower() for t in found]
        checks.expect(all(word in text for text in texts), f"{engine}: search {word!r} found a ticket without it")
        checks.expect(len(found) == len(before), f"{engine}: search {word!r} found {len(found)}, main {len(before)}")
        tables.append(
            pair(
                f"{engine}: search, {what} ({word!r})",
                await timings(lambda w=word: db.run(lambda cx: old.search_tickets(cx, [w])), size.repeat_old),
                await timings(lambda w=word: desk.search([w]), size.repeat),
                f"{len(found)} shown (at most 20, best first; main: newest first)",
            )
        )
    return tables


def _ids(tickets: list[Ticket]) -> list[int]:
    return [t.id for t in tickets]
