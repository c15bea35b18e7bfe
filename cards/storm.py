"""The storm summary card (desk/storm.py): how many new tickets a triage channel has, by severity, customer and linked
incident; the tickets still waiting for their own card, critical first, each with an Open button; every other waiting
ticket's number. Cut to stay well inside Teams' message size (cards/render.py MAX_CARD_BYTES)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from cards.actions import execute
from cards.format import Translate, card_time, clip
from cards.render import CardTooLarge, render
from desk.store.storm import StormTicket
from desk.storm import StormView

OPEN_VERB = "storm_summary.open"  # not "storm.": that family holds strings (tests/desk/test_i18n.py)
LISTED = 15  # rows with an Open button (about 900 bytes each)
FACTS = 8  # customers and incidents named; the rest are counted together
WAITING_CHARACTERS = 9000  # the numbers of the other waiting tickets ("T-1001, " each)
SEVERITIES = ("critical", "moderate", "minimal")


def storm_summary_card(t: Translate, view: StormView) -> dict[str, Any]:
    """The summary of one storm, as it stands."""
    tickets = view.tickets
    waiting = [ticket for ticket in tickets if not ticket.posted]
    waiting.sort(key=lambda ticket: (ticket.severity != "critical", ticket.ticket_id))
    count = len(tickets)
    if view.over:
        heading, color = t("storm.over", count=count), "Good"
    else:
        heading, color = t("storm.heading", count=count), "Attention"
    progress = t("storm.progress", since=card_time(view.started_at), posted=count - len(waiting), waiting=len(waiting))
    sections = _sections(t, tickets)
    rows, characters = (0, 0) if view.over else (LISTED, WAITING_CHARACTERS)
    while True:
        # Long names in scripts of several bytes a character can take the card past Teams' size: then fewer rows
        # and fewer numbers, down to the counts alone.
        listed = waiting[:rows]
        try:
            return render(
                "storm_summary",
                heading=heading,
                color=color,
                progress=progress,
                sections=sections,
                rows_heading=t("storm.waiting_heading"),
                rows=[_row(t, ticket) for ticket in listed],
                waiting=_others(t, waiting[len(listed) :], characters) if characters else "",
            )
        except CardTooLarge:
            if not rows and not characters:
                raise
            rows, characters = rows // 2, characters // 2


def _sections(t: Translate, tickets: list[StormTicket]) -> list[dict[str, Any]]:
    severities = Counter(ticket.severity for ticket in tickets)
    by_severity = [_fact(t(f"severity.{name}"), severities[name]) for name in SEVERITIES if severities[name]]
    customers = Counter(ticket.customer for ticket in tickets)
    incidents = Counter(incident for ticket in tickets for incident in ticket.incidents)
    unlinked = sum(1 for ticket in tickets if not ticket.incidents)
    by_incident = _top(t, incidents)
    if unlinked:
        by_incident.append(_fact(t("storm.no_incident"), unlinked))
    return [
        {"title": t("storm.by_severity"), "facts": by_severity},
        {"title": t("storm.by_customer"), "facts": _top(t, customers)},
        {"title": t("storm.by_incident"), "facts": by_incident},
    ]


def _top(t: Translate, counts: Counter[str]) -> list[dict[str, str]]:
    """The FACTS largest counts, then the rest together."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    facts = [_fact(clip(name, 60), n) for name, n in ranked[:FACTS]]
    rest = sum(n for _, n in ranked[FACTS:])
    if rest:
        facts.append(_fact(t("storm.others", count=len(ranked) - FACTS), rest))
    return facts


def _fact(title: str, value: int) -> dict[str, str]:
    return {"title": title, "value": str(value)}


def _row(t: Translate, ticket: StormTicket) -> dict[str, Any]:
    parts = [clip(ticket.customer, 40), t(f"severity.{ticket.severity}")]
    parts += [clip(incident, 20) for incident in ticket.incidents[:2]]
    parts.append(t("storm.card_queued" if ticket.released else "storm.card_waiting"))
    return {
        "number": ticket.number,
        "color": "Attention" if ticket.severity == "critical" else "Default",
        "title": clip(ticket.title, 60),
        "detail": " · ".join(parts),
        "open": execute(t("action.open"), OPEN_VERB, ticket.number),
    }


def _others(t: Translate, tickets: list[StormTicket], characters: int) -> str:
    """The numbers of the waiting tickets not listed with a button, as many as fit."""
    if not tickets:
        return ""
    numbers: list[str] = []
    length = 0
    for ticket in tickets:
        length += len(ticket.number) + 2
        if length > characters:
            break
        numbers.append(ticket.number)
    text = t("storm.also_waiting", numbers=", ".join(numbers))
    if len(numbers) < len(tickets):
        text += " " + t("storm.and_more", count=len(tickets) - len(numbers))
    return text
