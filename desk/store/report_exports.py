"""SQL of the report's CSV exports (what a link or a file consent card names by id: who asked, whose figures, which
period, until when) and of the weekly report queued once per ISO week."""

from __future__ import annotations

from datetime import datetime

from desk.clock import from_iso_not_null, to_iso
from desk.store.database import Cx, Row


def add_export(
    cx: Cx,
    export_id: str,
    requested_by: str,
    tenant_id: str | None,
    for_customer: bool,
    period: str,
    span: tuple[datetime, datetime],
    locale: str | None,
    now: datetime,
    expires: datetime,
) -> None:
    """Record an export; expired ones are removed on the way (few rows: one per request in the last minutes)."""
    cx.execute("DELETE FROM report_exports WHERE expires_at < ?", (to_iso(now),))
    cx.execute(
        "INSERT INTO report_exports (id, requested_by, tenant_id, for_customer, period, starts_at, ends_at, locale,"
        " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            export_id,
            requested_by,
            tenant_id,
            1 if for_customer else 0,
            period,
            to_iso(span[0]),
            to_iso(span[1]),
            locale,
            to_iso(now),
            to_iso(expires),
        ),
    )


def export(cx: Cx, export_id: str, now: datetime) -> Row | None:
    """An export that has not expired."""
    return cx.one("SELECT * FROM report_exports WHERE id = ? AND expires_at >= ?", (export_id, to_iso(now)))


def span_of(row: Row) -> tuple[datetime, datetime]:
    """An export's period, [start, end) in UTC."""
    return from_iso_not_null(row["starts_at"]), from_iso_not_null(row["ends_at"])


def weekly_sent(cx: Cx, week: str) -> bool:
    """Whether the weekly report of `week` ("2026-W49", the week it was posted in) was queued."""
    return cx.one("SELECT week FROM weekly_reports WHERE week = ?", (week,)) is not None


def record_weekly(cx: Cx, week: str, conversation_key: str, now: datetime) -> bool:
    """Record `week`'s report as queued; False (and nothing written) when it already was."""
    changed = cx.execute(
        "INSERT INTO weekly_reports (week, conversation_key, sent_at) VALUES (?, ?, ?) ON CONFLICT (week) DO NOTHING",
        (week, conversation_key, to_iso(now)),
    )
    return changed == 1
