"""The triage card: one per ticket in the triage channel, updated in place as the ticket changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cards.format import Translate, card_time, duration, fact, literal_line
from cards.render import render
from desk.tickets import Severity, Ticket

_STYLE = {Severity.CRITICAL: "attention", Severity.MODERATE: "warning", Severity.MINIMAL: "accent"}


def triage_card(
    t: Translate,
    ticket: Ticket,
    now: datetime,
    actions: list[dict[str, Any]] | None = None,
    refresh: dict[str, Any] | None = None,
    extra: list[dict[str, Any]] | None = None,
    assignment: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The card technicians work from. `actions` are shown only to technicians (see the refresh views), and so is
    `assignment`, the row of assigning buttons under the facts."""
    requester = ticket.requester
    who = requester.name + (f" <{requester.email}>" if requester.email else "")
    facts = [
        fact(t("triage.customer"), requester.customer_name),
        fact(t("triage.product"), t(f"product.{ticket.fields.product.value}")),
        fact(t("triage.status"), t(f"status.{ticket.status.value}")),
        fact(t("triage.assignee"), ticket.assignee_name or t("triage.unassigned")),
        fact(t("triage.opened"), card_time(ticket.created_at)),
        fact(t("triage.age"), duration(t, now - ticket.created_at)),
    ]
    if ticket.is_open and ticket.first_response_at is None and ticket.first_response_due:
        facts.append(fact(t("triage.response_due"), card_time(ticket.first_response_due)))
    if ticket.is_open and ticket.sla_paused_at is not None:
        facts.append(fact(t("triage.resolution_due"), t("triage.sla_paused")))
    elif ticket.is_open and ticket.resolution_due:
        facts.append(fact(t("triage.resolution_due"), card_time(ticket.resolution_due)))
    if ticket.sr_id:
        sr_status = t(f"sr.{ticket.sr_status or 'none'}")
        facts.append(fact(t("triage.sr"), f"{ticket.sr_id} · {sr_status}"))
    people = [
        literal_line(t("triage.requester"), who),
        literal_line(t("triage.service"), ticket.fields.service),
        literal_line(t("triage.contact"), ticket.fields.contact),
    ]
    return render(
        "triage_card",
        refresh=refresh,
        style=_STYLE[ticket.fields.severity],
        heading=t(
            "triage.heading",
            number=ticket.number,
            severity=t(f"severity.{ticket.fields.severity.value}"),
            status=t(f"status.{ticket.status.value}"),
        ),
        ticket_title=ticket.fields.title,
        facts=facts,
        assignment=assignment or [],
        lines=people,
        description_label=t("triage.description"),
        description=ticket.fields.description,
        extra=extra or [],
        footer=t("triage.last_change", who=ticket.updated_by, when=card_time(ticket.updated_at)),
        actions=actions or [],
    )
