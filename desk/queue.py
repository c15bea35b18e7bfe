"""The technicians' queue: which open tickets `queue [words]` asks for, in which order, and where a next page
starts. The store reads it through indexes (desk/store/queue.py); this is what it means.

Words: `mine` (assigned to the asker), `unassigned`, severities (`critical`, ...; several: any of them), and the
rest, joined by single spaces, must appear within the customer's name in any case (`fabrikam`, `north`). Order:
most urgent SLA deadline first (Ticket.next_due; tickets without one last), then by number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from desk.clock import from_iso, to_iso
from desk.tickets import Severity, Ticket

PAGE = 25  # rows on one queue card
_KEYWORDS = frozenset({"mine", "unassigned"}) | frozenset(s.value for s in Severity)
# A next page's token: the last row's deadline (or "-") and id, then the words of the query.
_TOKEN = re.compile(r"(-|[0-9T:.+-]{32})\|([0-9]{1,12})\|(.*)", re.DOTALL)


@dataclass(frozen=True)
class QueueQuery:
    """A queue command's filters."""

    words: tuple[str, ...]  # as typed, lower-cased (a next page asks again with them)
    assignee: str | None  # `mine`: the asker's AAD object id
    unassigned: bool
    severities: frozenset[Severity]
    customer: str  # the other words: within the customer's name, lower-cased ("" for any customer)

    def matches_customer(self, name: str) -> bool:
        """Whether a customer's name is one the query asks for."""
        return self.customer in name.lower()


@dataclass(frozen=True)
class Position:
    """Where a page ended: its last row's deadline and id (the next page starts after it)."""

    due: datetime | None
    ticket_id: int


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue and how many tickets the whole query finds."""

    tickets: list[Ticket]
    total: int
    more: bool  # whether tickets follow this page


def queue_query(args: str, asker: str) -> QueueQuery:
    """The filters of `queue <args>` typed by the technician `asker`."""
    words = tuple(args.lower().split())
    return QueueQuery(
        words=words,
        assignee=asker if "mine" in words else None,
        unassigned="unassigned" in words,
        severities=frozenset(s for s in Severity if s.value in words),
        customer=" ".join(w for w in words if w not in _KEYWORDS),
    )


def next_token(query: QueueQuery, last: Ticket) -> str:
    """The id a "show more" button carries: where the page ended, and the query's words."""
    due = to_iso(last.next_due) or "-"
    return f"{due}|{last.id}|{' '.join(query.words)}"


def parse_token(token: str, asker: str) -> tuple[QueueQuery, Position] | None:
    """The query and position of a "show more" token; None when it is not one `next_token` makes."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        return None
    due_text, ticket_id, words = match.groups()
    try:
        due = from_iso(due_text) if due_text != "-" else None
    except ValueError:
        return None
    if due is not None and (due.tzinfo is None or to_iso(due) != due_text):
        return None
    return queue_query(words, asker), Position(due, int(ticket_id))
