"""The CSV behind a report: one row per ticket opened or done in the period, with whether each target was met.
Cells a spreadsheet would read as a formula get a leading apostrophe (CSV injection: a customer's words, such as a
title or a service name, must never run in the partner's Excel)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from desk.clock import to_iso
from desk.store.database import Row

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER = (
    "number",
    "customer",
    "product",
    "service",
    "severity",
    "status",
    "opened_at",
    "first_response_due",
    "first_response_at",
    "first_response_met",
    "resolution_due",
    "done_at",
    "resolution_met",
    "waited_on_customer_seconds",
    "rating",
    "assignee",
    "microsoft_request",
)
# What a customer's own CSV leaves out: who worked the ticket inside the partner.
CUSTOMER_HIDDEN = frozenset({"assignee"})


def safe_cell(value: object) -> str:
    """The cell as text, defused when a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _met(done: object, due: object, stopped: str) -> str:
    """Whether a target was met, as the card counts it: "no" also when it passed unmet before `stopped` (now, or
    when the clock stopped to wait on the customer); blank when not due yet, or no target."""
    if not due:
        return ""
    if done:
        return "yes" if str(done) <= str(due) else "no"
    return "no" if str(due) < stopped else ""


def to_csv(rows: Sequence[Row], for_customer: bool, now: datetime) -> str:
    """The CSV text (RFC 4180, CRLF line ends) of the rows desk.store.reports.csv_rows read, as of `now`."""
    read_at = to_iso(now) or ""  # the stored times' format, so they compare as text
    columns = [c for c in HEADER if not (for_customer and c in CUSTOMER_HIDDEN)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        cells = {
            "number": row["number"],
            "customer": row["customer_name"],
            "product": row["product"],
            "service": row["service"],
            "severity": row["severity"],
            "status": row["status"],
            "opened_at": row["created_at"],
            "first_response_due": row["first_response_due"],
            "first_response_at": row["first_response_at"],
            "first_response_met": _met(row["first_response_at"], row["first_response_due"], read_at),
            "resolution_due": row["resolution_due"],
            "done_at": row["done_at"],
            "resolution_met": _met(row["done_at"], row["resolution_due"], str(row["sla_paused_at"] or read_at)),
            "waited_on_customer_seconds": row["sla_paused_seconds"],
            "rating": row["rating"],
            "assignee": row["assignee_name"],
            "microsoft_request": row["sr_id"],
        }
        writer.writerow([safe_cell(cells[c]) for c in columns])
    return out.getvalue()
