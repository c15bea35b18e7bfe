"""Search through the engines' full-text indexes (FTS5, tsvector): typed words are terms, never query syntax;
ranked (title first, then newest); ticket numbers exact; the index follows every insert, update and delete and is
built by the migration for tickets already there; neither search nor the queue reads a table through. Both engines.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk.clock import to_iso
from desk.queue import queue_query
from desk.service import Desk
from desk.store import database
from desk.store import queue as queue_sql
from desk.store import tickets as ticket_sql
from desk.store.database import Cx, Database, Row, open_database
from desk.store.schema import MIGRATIONS
from desk.store.search import search_tickets, terms
from desk.tickets import Product, Severity, Status, Ticket, TicketFields
from tests.desk.store_rig import NOW, Shape, write
from tests.desk.test_store import POLICY, REQUESTER
from tests.support.engines import fresh_database_url, open_test_database

VOCABULARY = ("mail", "Mailbox", "outlook", "Outlook's", "NEAR", "and", "OR", "not", "Почта", "почтовый", "x-ray")
VOCABULARY += ("c++", "100%", "e-mail", "v2", "title", "T-1001", "ÉTÉ")
SYNTAX = ('"', "*", "-", ":", "^", "(", ")", "NEAR(", "title:", "AND", "OR", "NOT", '"mail', "mail*", "-mail", "+")
SYNTAX += ("'", "\\", "%", "_", "T-1001", "t1002", "T-9999", "{", "}", "mail:*", "!mail", "&", "|", "<->")
_RUN = re.compile(r"[^\W_]+")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_test_database(tmp_path)
    yield database
    await database.close()


def shape(title: str, description: str = "Nothing to add.", customer: str = "Fabrikam, Inc.") -> Shape:
    return Shape(customer, Severity.MODERATE, Status.NEW, None, None, None, None, None, title, description)


sentences = st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=5).map(" ".join)


@settings(max_examples=80)
@given(
    docs=st.lists(st.tuples(sentences, sentences), max_size=12),
    words=st.lists(st.sampled_from(VOCABULARY + SYNTAX) | st.text(max_size=6), min_size=1, max_size=4),
)
async def test_typed_words_are_terms_and_never_syntax(db: Database, docs: list[tuple[str, str]], words: list[str]):
    ids = await db.run(lambda cx: write(cx, [shape(title, text) for title, text in docs]))
    found = await db.read(lambda cx: search_tickets(cx, words, limit=50))  # never raises
    tickets = {t.id: t for t in await db.read(lambda cx: [ticket_sql.get_ticket(cx, i) for i in ids])}
    assert {t.id for t in found} == {i for i, t in tickets.items() if _matches(t, words)}


def _matches(ticket: Ticket | None, words: Sequence[str]) -> bool:
    """The search's meaning, spelled out: a ticket number among the words is that ticket; every other word's runs of
    letters and digits each begin a word of the title, description, customer or requester."""
    assert ticket is not None
    wanted = terms(list(words))
    if wanted.empty or wanted.contradictory or wanted.ticket_id not in (None, ticket.id):
        return False
    text = f"{ticket.fields.title} {ticket.fields.description} {ticket.requester.customer_name}"
    have = _RUN.findall(f"{text} {ticket.requester.name}".lower())
    return all(any(word.startswith(run) for word in have) for run in wanted.runs)


async def test_title_matches_rank_first_then_newer_tickets(db: Database) -> None:
    await db.run(
        lambda cx: write(
            cx,
            [
                shape("Printer offline", "Outlook shows the printer error too."),  # 1: in the description only
                shape("Outlook keeps asking for the password"),  # 2: in the title
                shape("Teams calls drop", "Nothing about mail here."),  # 3: not at all
                shape("Outlook search is slow"),  # 4: in the title, newer than 2
            ],
        )
    )
    found = await db.read(lambda cx: search_tickets(cx, ["OUTL"]))
    assert [t.id for t in found] == [4, 2, 1]


async def test_only_the_most_recent_matches_are_ranked(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A word in thousands of tickets costs no more than a rarer one: the best of the RANKED newest matches."""
    from desk.store import search

    await db.run(lambda cx: write(cx, [shape("Outlook down"), shape("VPN", "outlook"), shape("Printer", "outlook")]))
    monkeypatch.setattr(search, "RANKED", 2)
    assert [t.id for t in await db.read(lambda cx: search_tickets(cx, ["outlook"]))] == [3, 2]
    monkeypatch.setattr(search, "RANKED", 3)
    assert [t.id for t in await db.read(lambda cx: search_tickets(cx, ["outlook"]))] == [1, 3, 2]


async def test_ticket_numbers_are_exact_and_punctuation_is_no_wildcard(db: Database) -> None:
    await db.run(lambda cx: write(cx, [shape("Mail is down", "Case 1002 again"), shape("Mail is down"), shape("VPN")]))

    async def numbers(*words: str) -> list[str]:
        return [t.number for t in await db.read(lambda cx: search_tickets(cx, list(words)))]

    assert await numbers("T-1002") == ["T-1002"]
    assert await numbers("t1002", "mail") == ["T-1002"]
    assert await numbers("T-1003", "mail") == []
    assert await numbers("T-1001", "T-1002") == []
    assert await numbers("100%_") == ["T-1001"]  # the run "100" begins "1002"; % and _ match nothing by themselves
    assert await numbers("%", "_", "*", '"') == []


async def test_the_index_follows_updates_and_deletes(db: Database) -> None:
    await db.run(lambda cx: write(cx, [shape("Mail is down"), shape("Teams calls drop")]))

    async def titles(word: str) -> list[str]:
        return [t.fields.title for t in await db.read(lambda cx: search_tickets(cx, [word]))]

    await db.run(lambda cx: cx.execute("UPDATE tickets SET title = 'Calendar is empty' WHERE id = 1"))
    assert await titles("mail") == []
    assert await titles("calendar") == ["Calendar is empty"]
    await db.run(lambda cx: cx.execute("DELETE FROM tickets WHERE id = 2"))
    assert await titles("teams") == []
    assert await titles("calendar") == ["Calendar is empty"]


async def test_search_and_the_queue_read_through_indexes_only(db: Database) -> None:
    await db.run(lambda cx: write(cx, [shape(f"Outlook problem {n}") for n in range(30)]))
    desk = Desk(db, POLICY, lambda: NOW)
    statements: list[tuple[str, Sequence[Any]]] = []

    def recorded(cx: Cx) -> None:
        spy = _Recording(cx, statements)
        search_tickets(spy, ["outlook", "problem"])
        search_tickets(spy, ["T-1003", "outlook"])
        only = queue_sql.QueueFilter(assignee="aad-me", severities=("critical",))
        queue_sql.page(spy, only, None, 25)
        queue_sql.count(spy, queue_sql.QueueFilter())
        queue_sql.open_counts(spy)
        ticket_sql.alerts_due(spy, NOW)
        ticket_sql.open_without_triage_card(spy)

    await db.read(recorded)
    await desk.queue_page(queue_query("", "aad-me"))
    for sql, params in statements:
        if not sql.startswith("SELECT"):
            continue  # PostgreSQL's SET LOCAL for the search
        plan = await db.read(lambda cx, s=sql, p=params: _plan(cx, s, p))
        assert not re.search(r"\bSCAN (tickets|t)\b(?! USING)|Seq Scan", plan), (sql, plan)


class _Recording:
    """A Cx that notes the statements run through it."""

    def __init__(self, cx: Cx, into: list[tuple[str, Sequence[Any]]]) -> None:
        self.dialect = cx.dialect
        self._cx, self._into = cx, into

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self._into.append((sql, params))
        return self._cx.execute(sql, params)

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        self._into.append((sql, params))
        return self._cx.one(sql, params)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self._into.append((sql, params))
        return self._cx.all(sql, params)


def _plan(cx: Cx, sql: str, params: Sequence[Any]) -> str:
    if cx.dialect == "postgresql":
        cx.execute("SET LOCAL enable_seqscan = off")  # a plan with a table scan then means no index could serve
        return "\n".join(str(r["QUERY PLAN"]) for r in cx.all(f"EXPLAIN {sql}", params))
    return "\n".join(str(r["detail"]) for r in cx.all(f"EXPLAIN QUERY PLAN {sql}", params))


async def test_the_migration_indexes_and_plans_the_tickets_already_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = next(i for i, m in enumerate(MIGRATIONS) if "ALTER TABLE tickets ADD COLUMN next_alert_at TEXT" in m)
    monkeypatch.setattr(database, "MIGRATIONS", MIGRATIONS[:mine])
    db = await open_database(fresh_database_url(tmp_path / "before"))
    try:
        due = NOW + timedelta(minutes=10)  # a critical first response, 10 minutes away: its reminder is due
        await db.run(lambda cx: ticket_sql.insert_ticket(cx, "a", REQUESTER, _fields("Mail is down"), NOW, (due, due)))
        await db.run(lambda cx: ticket_sql.insert_ticket(cx, "b", REQUESTER, _fields("VPN drops"), NOW, (None, None)))
        monkeypatch.setattr(database, "MIGRATIONS", MIGRATIONS)
        await db.run(database.migrate)

        assert [t.number for t in await db.read(lambda cx: search_tickets(cx, ["mail"]))] == ["T-1001"]
        rows = await db.read(lambda cx: cx.all("SELECT next_due_at FROM tickets ORDER BY id"))
        assert [r["next_due_at"] for r in rows] == [to_iso(due), None]
        desk = Desk(db, POLICY, lambda: NOW)
        assert [t.number for t in (await desk.queue_page(queue_query("", "x"))).tickets] == ["T-1001", "T-1002"]
        assert [t.number for t in await desk.sla_due(NOW)] == ["T-1001"]  # planned by the first check
    finally:
        await db.close()


def _fields(title: str) -> TicketFields:
    return TicketFields(Product.M365, "Exchange Online", Severity.CRITICAL, title, "Since this morning.", "-")
