"""Readiness cards: one customer's checklist (each line ok / warning / failed / could not check, with the fix), and
the `customers` list with each customer's stored state and a Readiness button. Buttons carry a verb and the
customer's tenant id only."""

from __future__ import annotations

from typing import Any

from cards.actions import execute
from cards.format import Translate
from cards.messages import message_card
from desk.readiness import State, Status
from desk.readiness_service import Readiness

AREAS = ("partner_center", "gdap", "consent", "teams")
MARKS = {Status.OK: "✅", Status.WARNING: "⚠️", Status.FAILED: "❌", Status.UNKNOWN: "❔"}
COLORS = {Status.OK: "Good", Status.WARNING: "Warning", Status.FAILED: "Attention", Status.UNKNOWN: "Default"}
MAX_ROWS = 25  # customers shown, each with a button: the card stays within Teams' size limit (the counts cover all)


def readiness_card(t: Translate, readiness: Readiness) -> dict[str, Any]:
    """The checklist, area by area; each line not ok is followed by its fix."""
    extra: list[dict[str, Any]] = []
    for area in AREAS:
        lines = [line for line in readiness.lines if line.area == area]
        if not lines:
            continue
        extra.append(_text(t(f"readiness.area.{area}"), weight="Bolder"))
        for line in lines:
            status = t(f"readiness.status.{line.status.value}")
            text = f"{MARKS[line.status]} {status}: {t(line.text, **line.params)}"
            extra.append(_text(text, color=COLORS[line.status]))
            if line.fix and line.status is not Status.OK:
                extra.append(_text(t("readiness.fix", fix=t(line.fix, **line.params)), subtle=True))
    heading = t("readiness.heading", customer=readiness.name, state=t(f"readiness.state.{readiness.state.value}"))
    again = execute(t("readiness.again"), "readiness.check", readiness.tenant_id, with_inputs=False)
    return message_card(heading, subtitle=t("readiness.definition"), extra=extra, actions=[again])


def customers_readiness_card(t: Translate, rows: list[tuple[str, str, int, State]]) -> dict[str, Any]:
    """Every customer (name, tenant id, open tickets, stored state), the count of each state, and a Readiness button
    per customer."""
    counts = {state: sum(1 for row in rows if row[3] is state) for state in State}
    summary = t(
        "customers.readiness_counts",
        ready=counts[State.READY],
        partial=counts[State.PARTIAL],
        blocked=counts[State.BLOCKED],
        not_checked=counts[State.NOT_CHECKED],
    )
    extra: list[dict[str, Any]] = [_text(summary)]
    for name, tenant_id, open_count, state in rows[:MAX_ROWS]:
        line = t("customers.row", customer=name, open=t("customers.open", count=open_count),
                 state=t(f"readiness.state.{state.value}"))  # fmt: skip
        button = execute(t("readiness.button"), "readiness.check", tenant_id, with_inputs=False)
        extra.append(
            {
                "type": "ColumnSet",
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [_text(line)],
                        "verticalContentAlignment": "Center",
                    },
                    {"type": "Column", "width": "auto", "items": [{"type": "ActionSet", "actions": [button]}]},
                ],
            }
        )
    if len(rows) > MAX_ROWS:
        extra.append(_text(t("customers.more", count=len(rows) - MAX_ROWS), subtle=True))
    if not rows:
        extra = [_text(t("customers.none"))]
    return message_card(t("customers.heading", count=len(rows)), extra=extra)


def _text(text: str, weight: str | None = None, color: str | None = None, subtle: bool = False) -> dict[str, Any]:
    # A TextRun, not a TextBlock: customer names and Microsoft's values are shown literally, never as markdown.
    run: dict[str, Any] = {"type": "TextRun", "text": text}
    if weight:
        run["weight"] = weight
    if color:
        run["color"] = color
    if subtle:
        run["isSubtle"] = True
    return {"type": "RichTextBlock", "inlines": [run]}
