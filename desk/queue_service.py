"""The technicians' queue and the open-ticket counts per customer, each one read-only transaction."""

from __future__ import annotations

from desk.queue import PAGE, Position, QueuePage, QueueQuery
from desk.service_base import DeskBase
from desk.store import queue as queue_sql
from desk.store.database import Cx
from desk.store.queue import QueueFilter


class QueueService(DeskBase):
    """Reads of the open tickets, done by the database: filtered, sorted, paged and counted in SQL."""

    async def queue_page(self, query: QueueQuery, after: Position | None = None, limit: int = PAGE) -> QueuePage:
        """A page of the queue `query` asks for, after `after` (None: the first), and how many it finds in all."""

        def work(cx: Cx) -> QueuePage:
            names = None
            if query.customer:
                # Customer words match within names, which no index serves: match them against the few names of
                # customers with open tickets, then read those customers' tickets through the index.
                names = tuple(name for name in queue_sql.open_customer_names(cx) if query.matches_customer(name))
                if not names:
                    return QueuePage([], 0, more=False)
            only = QueueFilter(
                assignee=query.assignee,
                unassigned=query.unassigned,
                severities=tuple(sorted(s.value for s in query.severities)),
                customer_names=names,
            )
            tickets = queue_sql.page(cx, only, after, limit + 1)  # one more tells whether a next page exists
            return QueuePage(tickets[:limit], queue_sql.count(cx, only), more=len(tickets) > limit)

        return await self.db.read(work)

    async def open_counts(self) -> dict[str, int]:
        """How many open tickets each customer tenant has (tenants without any are absent)."""
        return await self.db.read(queue_sql.open_counts)
