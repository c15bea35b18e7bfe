"""Searching tickets by words: SQLite's FTS5 table, PostgreSQL's tsvector column (migration 14), ranked (bm25,
ts_rank) among the most recent matches, read through their indexes; a ticket number among the words is matched
exactly.

The words are a technician's input. Each becomes the runs of letters and digits in it, lower-cased, and each run
must begin a word of the ticket's title, description, customer or requester ("outl" finds Outlook); every run is
passed as a quoted term, never as query syntax, so quotes, `*`, `-`, `:`, `^`, parentheses, NEAR, AND, OR or NOT
typed in a search neither raise nor change its meaning: they are separators, or words like any other.

SQLite: https://www.sqlite.org/fts5.html (external content tables and their triggers, the 'delete' and 'rebuild'
commands, prefix queries, bm25 with column weights). PostgreSQL:
https://www.postgresql.org/docs/15/textsearch-tables.html (a generated tsvector column with a GIN index) and
https://www.postgresql.org/docs/15/textsearch-controls.html (to_tsquery's prefix terms, ts_rank, setweight).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from desk.store.database import Cx
from desk.store.tickets import fields, ticket_of_row
from desk.tickets import Ticket, parse_ticket_number

# Runs of letters and digits: what SQLite's unicode61 tokenizer and PostgreSQL's search document keep as words.
_RUN = re.compile(r"[^\W_]+")
# Column weights for bm25, in the FTS table's order: title, description, customer_name, requester_name (PostgreSQL:
# weights A, D, B, B in the generated column).
_BM25 = "bm25(tickets_fts, 4.0, 1.0, 2.0, 2.0)"
# Matches ranked: the most recent ones. A word in thousands of tickets then costs no more than a rarer one, and the
# best of recent tickets come first; fewer matches than this are all ranked.
RANKED = 200


@dataclass(frozen=True)
class Terms:
    """What a search looks for: word beginnings (all of them), and the one ticket a number names."""

    runs: tuple[str, ...] = ()
    ticket_id: int | None = None
    contradictory: bool = False  # two different ticket numbers: no ticket has both

    @property
    def empty(self) -> bool:
        return not self.runs and self.ticket_id is None


def terms(words: list[str]) -> Terms:
    """The terms of the words typed: "T-1001" (or "t1001") is a ticket number, anything else its runs of letters and
    digits (so "100%_" is "100", and "-" or "*" nothing)."""
    runs: list[str] = []
    numbers: set[int] = set()
    for word in words:
        number = parse_ticket_number(word) if word[:1] in ("t", "T") else None
        if number is not None:
            numbers.add(number)
        else:
            runs.extend(run for run in _RUN.findall(word.lower()) if run not in runs)
    ticket_id = min(numbers) if numbers else None
    return Terms(tuple(runs), ticket_id, len(numbers) > 1)


def search_tickets(cx: Cx, words: list[str], limit: int = 20) -> list[Ticket]:
    """Tickets matching every term, best match first (then newest), among the RANKED most recent matches; none for
    words with no letters or digits."""
    wanted = terms(words)
    if wanted.empty or wanted.contradictory:
        return []
    if not wanted.runs:
        row = cx.one(f"SELECT {fields()} FROM tickets WHERE id = ?", (wanted.ticket_id,))
        return [ticket_of_row(row)] if row else []
    number = (wanted.ticket_id,) if wanted.ticket_id is not None else ()
    # Innermost: the most recent matches, from the search index in id order; then the best `limit` of them; only
    # those are read from tickets.
    if cx.dialect == "postgresql":
        # One statement serves every search: a plan cached for a rare word (read the whole match list through the
        # index) is ten times slower for a common one (walk the newest tickets), so each search is planned anew.
        # https://www.postgresql.org/docs/15/runtime-config-query.html#GUC-PLAN-CACHE-MODE
        cx.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        query = " & ".join(_pg_term(run) for run in wanted.runs)
        only = " AND id = ?" if number else ""
        ranked = (
            "SELECT id, ts_rank(search_vector, to_tsquery('simple', ?)) AS score FROM (SELECT id, search_vector"
            f" FROM tickets WHERE search_vector @@ to_tsquery('simple', ?){only} ORDER BY id DESC LIMIT ?) m"
            " ORDER BY score DESC, id DESC LIMIT ?"
        )
        order = "f.score DESC, t.id DESC"
        params: tuple[object, ...] = (query, query, *number, RANKED, limit)
    else:
        query = " AND ".join(_fts_term(run) for run in wanted.runs)
        only = " AND rowid = ?" if number else ""
        ranked = (
            f"SELECT id, score FROM (SELECT rowid AS id, {_BM25} AS score FROM tickets_fts WHERE tickets_fts MATCH ?"
            f"{only} ORDER BY rowid DESC LIMIT ?) m ORDER BY score, id DESC LIMIT ?"
        )
        order = "f.score, t.id DESC"  # bm25: lower is better
        params = (query, *number, RANKED, limit)
    rows = cx.all(f"SELECT {fields('t')} FROM ({ranked}) f JOIN tickets t ON t.id = f.id ORDER BY {order}", params)
    return [ticket_of_row(row) for row in rows]


def _fts_term(run: str) -> str:
    """An FTS5 prefix query of one run, as a string (a run has no quotes; doubled anyway, as FTS5 escapes them)."""
    return '"' + run.replace('"', '""') + '"*'


def _pg_term(run: str) -> str:
    """A to_tsquery prefix term of one run, quoted (quotes and backslashes escaped, though a run has neither)."""
    return "'" + run.replace("\\", "\\\\").replace("'", "''") + "':*"
