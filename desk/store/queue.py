"""SQL for the technicians' queue and the counts of open tickets (desk/queue.py says what they mean).

Every query here reads open tickets through the partial indexes of migration 14 (their WHERE is spelled exactly
as the indexes' so both engines use them), pages by keyset (the last row's deadline and id, never OFFSET) and
counts in SQL. Tickets without a deadline come after those with one; the two parts are read in turn because the
engines sort NULLs at opposite ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from desk.clock import to_iso
from desk.queue import Position
from desk.store.database import Cx
from desk.store.tickets import fields, ticket_of_row
from desk.tickets import Ticket

OPEN = "status NOT IN ('resolved', 'closed')"


@dataclass(frozen=True)
class QueueFilter:
    """A queue's filters as the store applies them."""

    assignee: str | None = None
    unassigned: bool = False
    severities: tuple[str, ...] = ()
    customer_names: tuple[str, ...] | None = None  # exact names (None: every customer)


def page(cx: Cx, only: QueueFilter, after: Position | None, limit: int) -> list[Ticket]:
    """Up to `limit` open tickets matching `only`, most urgent first, after `after` (from the start: None)."""
    where, params = _where(only)
    rows: list[dict[str, Any]] = []
    if after is None or after.due is not None:
        since, since_params = "", []
        if after is not None:
            since, since_params = " AND (next_due_at, id) > (?, ?)", [to_iso(after.due), after.ticket_id]
        # The page's ids are picked from the index first; only those rows are read (a sort of whole rows, with
        # their descriptions, is what a customer filter's few hundred matches would otherwise cost).
        rows = cx.all(
            f"SELECT {fields()} FROM tickets WHERE id IN (SELECT id FROM tickets WHERE {where}"
            f" AND next_due_at IS NOT NULL{since} ORDER BY next_due_at, id LIMIT ?) ORDER BY next_due_at, id",
            (*params, *since_params, limit),
        )
    if len(rows) < limit:
        since = " AND id > ?" if after is not None and after.due is None else ""
        since_params = [after.ticket_id] if since and after is not None else []
        rows += cx.all(
            f"SELECT {fields()} FROM tickets WHERE id IN (SELECT id FROM tickets WHERE {where}"
            f" AND next_due_at IS NULL{since} ORDER BY id LIMIT ?) ORDER BY id",
            (*params, *since_params, limit - len(rows)),
        )
    return [ticket_of_row(row) for row in rows]


def count(cx: Cx, only: QueueFilter) -> int:
    """How many open tickets match `only`: counted in the page's two parts, each through the queue's indexes (a
    plain COUNT over open tickets has SQLite scan all of tickets_status instead)."""
    where, params = _where(only)
    row = cx.one(
        f"SELECT (SELECT COUNT(*) FROM tickets WHERE {where} AND next_due_at IS NOT NULL)"
        f" + (SELECT COUNT(*) FROM tickets WHERE {where} AND next_due_at IS NULL) AS n",
        (*params, *params),
    )
    return int(row["n"]) if row else 0


def open_customer_names(cx: Cx) -> list[str]:
    """The customer names on open tickets, each once (read from the index tickets_open_customer)."""
    return [row["name"] for row in cx.all(f"SELECT DISTINCT customer_name AS name FROM tickets WHERE {OPEN}")]


def open_counts(cx: Cx) -> dict[str, int]:
    """Open tickets per customer tenant (read from the index tickets_open_tenant)."""
    rows = cx.all(
        f"SELECT customer_tenant_id AS tenant, COUNT(*) AS n FROM tickets WHERE {OPEN} GROUP BY customer_tenant_id"
    )
    return {row["tenant"]: int(row["n"]) for row in rows}


def _where(only: QueueFilter) -> tuple[str, list[Any]]:
    clauses, params = [OPEN], []
    if only.assignee is not None:
        clauses.append("assignee_aad_id = ?")
        params.append(only.assignee)
    if only.unassigned:
        clauses.append("assignee_aad_id IS NULL")
    if only.severities:
        clauses.append(f"severity IN ({_marks(only.severities)})")
        params += only.severities
    if only.customer_names is not None:
        clauses.append(f"customer_name IN ({_marks(only.customer_names)})" if only.customer_names else "1 = 0")
        params += only.customer_names
    return " AND ".join(clauses), params


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))
