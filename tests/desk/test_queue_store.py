"""The queue read by the database (filters, SLA order, keyset pages, counts in SQL) lists exactly what main's
Python did (every open ticket loaded, filtered and sorted; kept in bench/store_baseline.py), on both engines."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import store_baseline
from desk.clock import to_iso
from desk.queue import Position, parse_token, queue_query
from desk.service import Desk
from desk.store import tickets as ticket_sql
from desk.store.database import Database
from tests.desk.store_rig import ME, NOW, Shape, shapes, write
from tests.desk.test_store import POLICY
from tests.support.engines import open_test_database

WORDS = ("mine", "unassigned", "critical", "moderate", "minimal", "fab", "north", "inc", "works", "фаб", "zzz", "ltd")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_test_database(tmp_path)
    yield database
    await database.close()


@settings(max_examples=80)
@given(
    shaped=st.lists(shapes, max_size=30),
    words=st.lists(st.sampled_from(WORDS), max_size=3),
    page=st.integers(1, 7),
)
async def test_every_page_and_count_equal_mains_sorted_list(
    db: Database, shaped: list[Shape], words: list[str], page: int
) -> None:
    await db.run(lambda cx: write(cx, shaped))
    desk = Desk(db, POLICY, lambda: NOW)
    args = " ".join(words)
    wanted = await store_baseline.queue(db, args, ME, NOW)
    query = queue_query(args, ME)
    listed, after = [], None
    while True:
        found = await desk.queue_page(query, after, limit=page)
        assert found.total == len(wanted)
        assert len(found.tickets) <= page
        listed += found.tickets
        if not found.more:
            break
        after = Position(found.tickets[-1].next_due, found.tickets[-1].id)
    assert [t.id for t in listed] == [t.id for t in wanted]


@settings(max_examples=40)
@given(shaped=st.lists(shapes, max_size=30))
async def test_next_due_at_is_the_tickets_next_due_and_counts_per_customer_are_mains(
    db: Database, shaped: list[Shape]
) -> None:
    ids = await db.run(lambda cx: write(cx, shaped))
    rows = await db.read(lambda cx: cx.all("SELECT id, next_due_at FROM tickets"))
    stored = {r["id"]: r["next_due_at"] for r in rows}
    for ticket_id in ids:
        ticket = await db.read(lambda cx, i=ticket_id: ticket_sql.get_ticket(cx, i))
        assert ticket is not None
        assert stored[ticket_id] == to_iso(ticket.next_due)
    desk = Desk(db, POLICY, lambda: NOW)
    wanted = Counter(t.requester.tenant_id for t in await db.read(store_baseline.open_tickets))
    assert await desk.open_counts() == dict(wanted)


def test_a_show_more_token_carries_the_position_and_words_and_nothing_else_parses() -> None:
    query = queue_query("Mine  Critical fabrikam", ME)
    token = f"{to_iso(NOW)}|42|mine critical fabrikam"
    parsed = parse_token(token, "someone-else")
    assert parsed is not None
    again, position = parsed
    assert position == Position(NOW, 42)
    assert again.words == query.words and again.assignee == "someone-else"  # "mine" is whoever asks for more
    assert parse_token("-|7|", ME) == (queue_query("", ME), Position(None, 7))
    for bad in ("", "x|1|", "-|one|", "2026-01-12T10:00:00+00:00|1|", f"{to_iso(NOW)}|1", "-|-1|", "-|1234567890123|"):
        assert parse_token(bad, ME) is None, bad
