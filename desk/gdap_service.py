"""Queueing GDAP expiry warnings exactly once: each is recorded as sent in the same transaction that queues its
message, so a restart, a repeated round or a second instance finds it recorded and queues nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from desk.gdap import ExpiryWarning
from desk.outbox import Outgoing
from desk.service_base import DeskBase
from desk.store import gdap as gdap_sql
from desk.store import outbox as outbox_sql
from desk.store.database import Cx


async def send_gdap_warnings(
    desk: DeskBase, warnings: list[ExpiryWarning], messages: Callable[[ExpiryWarning], list[Outgoing]], now: datetime
) -> int:
    """Queue the messages of every warning not sent before; returns how many were queued now."""

    def work(cx: Cx) -> int:
        sent = 0
        for warning in warnings:
            relationship = warning.relationship
            if gdap_sql.record_warning(
                cx, relationship.id, warning.threshold, warning.end_key, relationship.customer_tenant_id, now
            ):
                outbox_sql.enqueue(cx, messages(warning), now)
                sent += 1
        return sent

    sent = await desk.db.run(work)  # `work` only writes the database: safe to re-run on a serialization retry
    if sent:
        desk.on_outbox()
    return sent


async def gdap_warnings_sent(desk: DeskBase) -> list[tuple[str, str, str]]:
    """Every warning recorded as sent: (relationship id, threshold, end key)."""
    return await desk.db.run(gdap_sql.warnings_sent)
