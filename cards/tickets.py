"""Customer-facing ticket cards: the new-ticket form, the status card, the list of one's tickets, the offer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cards.actions import execute
from cards.format import Translate, card_time, clip, fact, literal_line, maybe
from cards.inputs import choice_input, problem_words, text_input
from cards.render import render
from desk.tickets import LIMITS, Product, Severity, Status, Ticket


def ticket_form(
    t: Translate, draft_id: str, values: Mapping[str, str], errors: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The new-ticket form, showing `values` and, next to each refused field, why."""
    errors = errors or {}
    products = [(p.value, t(f"product.{p.value}")) for p in Product]
    severities = [(s.value, t(f"severity.{s.value}.long")) for s in Severity]
    required = t("form.error.required")

    def text(name: str, multiline: bool = False) -> dict[str, Any]:
        hint = t(f"form.{name}_hint")
        return text_input(name, t(f"form.{name}"), values, LIMITS[name], hint, required, multiline)

    inputs = [
        choice_input("product", t("form.product"), products, values, required),
        text("service"),
        choice_input("severity", t("form.severity"), severities, values, required),
        text("title"),
        text("description", multiline=True),
        text("contact"),
    ]
    fields = [
        {"input": item, "error": problem_words(t, errors.get(item["id"]), LIMITS.get(item["id"], 0))} for item in inputs
    ]
    return render(
        "ticket_form",
        title=t("form.heading"),
        intro=t("form.intro"),
        problem=t("form.fix_problems") if errors else "",
        fields=fields,
        footer=t("form.footer"),
        actions=[execute(t("action.submit_ticket"), "ticket.submit", draft_id, style="positive")],
    )


def customer_status(t: Translate, status: Status) -> str:
    """A status as the customer reads it ("Waiting on you" rather than "Waiting on customer")."""
    return maybe(t, f"status.customer.{status.value}") or t(f"status.{status.value}")


def status_card(t: Translate, ticket: Ticket, message: str) -> dict[str, Any]:
    """The card a customer keeps for one ticket: what it is, where it stands, what happens next."""
    facts = [
        fact(t("ticket.status"), customer_status(t, ticket.status)),
        fact(t("ticket.severity"), t(f"severity.{ticket.fields.severity.value}")),
        fact(t("ticket.product"), t(f"product.{ticket.fields.product.value}")),
        fact(t("ticket.opened"), card_time(ticket.created_at)),
    ]
    if ticket.first_response_due and ticket.first_response_at is None and ticket.is_open:
        facts.append(fact(t("ticket.response_due"), card_time(ticket.first_response_due)))
    if ticket.assignee_name:
        facts.append(fact(t("ticket.assignee"), ticket.assignee_name))
    return render(
        "ticket_status",
        heading=t("status_card.heading", number=ticket.number),
        ticket_title=ticket.fields.title,
        service=literal_line(t("ticket.service"), ticket.fields.service),
        facts=facts,
        message=message,
        actions=[execute(t("action.my_tickets"), "tickets.mine")],
    )


def ticket_list(t: Translate, heading: str, tickets: list[Ticket], now: datetime) -> dict[str, Any]:
    """A short list of tickets, newest first."""
    rows = [
        {
            "number": ticket.number,
            "title": clip(ticket.fields.title, 80),
            "detail": " · ".join(
                [
                    customer_status(t, ticket.status),
                    t(f"severity.{ticket.fields.severity.value}"),
                    t("ticket.opened_at", when=card_time(ticket.created_at)),
                ]
            ),
        }
        for ticket in tickets
    ]
    return render(
        "ticket_list",
        heading=heading,
        rows=rows,
        empty=t("list.empty"),
        actions=[execute(t("action.new_ticket"), "ticket.new", style="positive")],
    )


def offer_card(t: Translate, draft_id: str, text: str) -> dict[str, Any]:
    """Offer to open a ticket with what the customer just wrote."""
    return render(
        "offer",
        question=t("offer.question"),
        quoted=clip(text, 500),
        actions=[
            execute(t("action.open_ticket_with_text"), "ticket.from_draft", draft_id, style="positive"),
            execute(t("action.help"), "help.show"),
        ],
    )
