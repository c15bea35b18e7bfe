"""Reports read from the database: every figure of a period in one read transaction (one query each), the CSV rows
behind them, the short-lived exports a CSV link or file consent card names, and the weekly report queued once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from desk.clock import from_iso_not_null
from desk.outbox import Outgoing
from desk.reports import TOP, Csat, Period, Report, age_bounds
from desk.store import outbox as outbox_sql
from desk.store import report_exports as export_sql
from desk.store import reports as report_sql
from desk.store.database import Cx, Database, Row

EXPORT_LIFETIME = timedelta(minutes=15)  # a CSV link or consent card works this long after `report ... csv`


@dataclass(frozen=True)
class Scope:
    """Whose tickets a report counts: one tenant's (and its name), or every customer's."""

    tenant_id: str | None = None
    customer: str | None = None


@dataclass(frozen=True)
class Export:
    """A stored export: what its CSV holds, decided when it was asked for."""

    id: str
    requested_by: str
    tenant_id: str | None
    for_customer: bool  # a customer's own export: nothing internal to the partner in it
    period: str
    start: datetime
    end: datetime
    locale: str | None
    expires_at: datetime


class Reports:
    """The reports' reads and records, in the database every instance shares."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def report(self, period: Period, scope: Scope, now: datetime) -> Report:
        """Every figure of `period` for `scope` (one read: the figures agree with each other)."""
        tenant = scope.tenant_id

        def read(cx: Cx) -> Report:
            return Report(
                period=period,
                customer=scope.customer,
                days=tuple(report_sql.per_day(cx, period.days, tenant)),
                sla=tuple(report_sql.sla(cx, period.start, period.end, now, tenant)),
                csat=Csat(report_sql.csat(cx, period.start, period.end, tenant)),
                backlog=report_sql.backlog(cx, age_bounds(now), tenant),
                customers=tuple(report_sql.top(cx, "customer_name", period.start, period.end, tenant, TOP)),
                products=tuple(report_sql.top(cx, "product", period.start, period.end, tenant, TOP)),
                escalations=report_sql.escalations(cx, period.start, period.end, tenant),
                deflections=report_sql.deflections(cx, period.start, period.end, tenant),
            )

        return await self._db.read(read)

    async def csv_rows(self, export: Export) -> list[Row]:
        """The tickets behind an export's report."""
        return await self._db.read(lambda cx: report_sql.csv_rows(cx, export.start, export.end, export.tenant_id))

    async def new_export(
        self, requested_by: str, scope: Scope, for_customer: bool, period: Period, locale: str | None, now: datetime
    ) -> Export:
        """Store an export of `period` for `scope`, valid EXPORT_LIFETIME; its id is unguessable."""
        export = Export(
            secrets.token_hex(16),  # hex: nothing Markdown reads (a "_" in a link in Teams text would be italics)
            requested_by,
            scope.tenant_id,
            for_customer,
            period.kind.value,
            period.start,
            period.end,
            locale,
            now + EXPORT_LIFETIME,
        )
        await self._db.run(
            lambda cx: export_sql.add_export(
                cx,
                export.id,
                requested_by,
                scope.tenant_id,
                for_customer,
                export.period,
                (export.start, export.end),
                locale,
                now,
                export.expires_at,
            )
        )
        return export

    async def export(self, export_id: str, now: datetime) -> Export | None:
        """An export not yet expired, or None."""
        row = await self._db.read(lambda cx: export_sql.export(cx, export_id, now))
        if row is None:
            return None
        start, end = export_sql.span_of(row)
        expires = from_iso_not_null(row["expires_at"])
        return Export(
            row["id"],
            row["requested_by"],
            row["tenant_id"],
            bool(row["for_customer"]),
            row["period"],
            start,
            end,
            row["locale"],
            expires,
        )

    async def weekly_sent(self, week: str) -> bool:
        """Whether `week`'s report was queued already (a read: rounds that find it sent write nothing)."""
        return await self._db.read(lambda cx: export_sql.weekly_sent(cx, week))

    async def queue_weekly_once(self, week: str, message: Outgoing, now: datetime) -> bool:
        """Queue `message` as `week`'s report unless it was queued: True when this call queued it (the week's row and
        the outbox message in one transaction; re-runnable on a serialization failure)."""

        def work(cx: Cx) -> bool:
            if not export_sql.record_weekly(cx, week, message.conversation_key, now):
                return False
            outbox_sql.enqueue(cx, [message], now)
            return True

        return await self._db.run(work)
