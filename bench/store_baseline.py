"""The store's reads before issue 13, kept here only as the baseline of `python -m bench.store`: every open ticket
loaded and filtered, sorted and counted in Python (the queue, the customers' counts, the SLA check), and search by
`LOWER(...) LIKE` over five columns. Copied from main as it was; nothing in the desk uses it."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from desk.sla import SlaPolicy
from desk.sla_watch import Alert, due_alerts
from desk.store.database import Cx, Database
from desk.store.tickets import fields, ticket_of_row
from desk.tickets import Severity, Ticket


def open_tickets(cx: Cx) -> list[Ticket]:
    """Every ticket not yet resolved or closed (the columns a Ticket has, as main's `SELECT *` read them)."""
    rows = cx.all(f"SELECT {fields()} FROM tickets WHERE status NOT IN ('resolved', 'closed') ORDER BY id")
    return [ticket_of_row(row) for row in rows]


async def queue(db: Database, args: str, me: str, now: datetime) -> list[Ticket]:
    """bot/features/queue.py's `queue` as it was, up to the sort: every ticket it lists, in order (the card showed
    the first PAGE, the heading counted them all)."""
    tickets = await db.run(open_tickets)
    words = args.lower().split()
    if "mine" in words:
        tickets = [t for t in tickets if t.assignee_id == me]
    if "unassigned" in words:
        tickets = [t for t in tickets if t.assignee_id is None]
    severities = {s for s in Severity if s.value in words}
    if severities:
        tickets = [t for t in tickets if t.fields.severity in severities]
    rest = " ".join(w for w in words if w not in {"mine", "unassigned"} and w not in {s.value for s in Severity})
    if rest:
        tickets = [t for t in tickets if _customer_matches(t, rest)]
    far = now.replace(year=9999)
    tickets.sort(key=lambda t: (_next_due(t) or far, t.id))
    return tickets


def _next_due(ticket: Ticket) -> datetime | None:
    if ticket.first_response_at is None and ticket.first_response_due is not None:
        return ticket.first_response_due
    return ticket.resolution_due if ticket.sla_paused_at is None else None


def _customer_matches(ticket: Ticket, words: str) -> bool:
    name = ticket.requester.customer_name.lower()
    return name.startswith(words) or words in name or any(part.startswith(words) for part in name.split())


async def customer_counts(db: Database) -> dict[str, int]:
    """bot/features/admin.py's `customers` as it was: open tickets per tenant."""
    return dict(Counter(t.requester.tenant_id for t in await db.run(open_tickets)))


async def sla_alerts(db: Database, now: datetime, sla: SlaPolicy) -> list[Alert]:
    """bot/jobs/sla_alerts.py as it was, up to the alerts due (it then tried to record each, sent or not)."""
    return due_alerts(await db.run(open_tickets), now, sla)


def search_tickets(cx: Cx, words: list[str], limit: int = 20) -> list[Ticket]:
    """Tickets whose number, title, description, customer or requester contain every word, newest first."""
    clauses = []
    params: list[Any] = []
    for word in words:
        pattern = "%" + word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append(
            "(LOWER(number) LIKE ? ESCAPE '\\' OR LOWER(title) LIKE ? ESCAPE '\\' OR LOWER(description) LIKE ? ESCAPE"
            " '\\' OR LOWER(customer_name) LIKE ? ESCAPE '\\' OR LOWER(requester_name) LIKE ? ESCAPE '\\')"
        )
        params += [pattern] * 5
    where = " AND ".join(clauses) or "1 = 1"
    rows = cx.all(f"SELECT {fields()} FROM tickets WHERE {where} ORDER BY id DESC LIMIT ?", (*params, limit))
    return [ticket_of_row(row) for row in rows]
