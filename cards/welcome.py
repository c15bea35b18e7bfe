"""The welcome / help card: what the desk does and the partner's support terms."""

from __future__ import annotations

from typing import Any

from cards.actions import execute
from cards.format import Translate, fact
from cards.render import render
from desk.support import SupportProfile


def welcome_card(
    t: Translate,
    profile: SupportProfile,
    commands: list[tuple[str, str]],
    is_customer: bool,
    ticket_buttons: bool,
) -> dict[str, Any]:
    """The help card; `commands` are (command, description) pairs for the reader's role; `ticket_buttons` adds
    New ticket / My tickets (a customer in their personal chat)."""
    facts = [fact(t("welcome.hours"), f"{profile.hours_text} ({profile.hours.timezone.key})")]
    methods = [t(f"contact.{method}") for method in profile.contact_methods]  # settings allow known ones only
    if methods:
        facts.append(fact(t("welcome.contact_methods"), ", ".join(methods)))
    for key, value in (("email", profile.email), ("phone", profile.phone), ("website", profile.website)):
        if value:
            facts.append(fact(t(f"welcome.{key}"), value))
    if profile.emergency_contact:
        facts.append(fact(t("welcome.emergency"), profile.emergency_contact))
    actions = (
        [
            execute(t("action.new_ticket"), "ticket.new", style="positive"),
            execute(t("action.my_tickets"), "tickets.mine"),
        ]
        if ticket_buttons
        else []
    )
    return render(
        "welcome",
        title=t("welcome.title", partner=profile.partner_name),
        intro=t("welcome.intro_customer" if is_customer else "welcome.intro_technician", partner=profile.partner_name),
        facts=facts,
        pricing=profile.pricing,
        pricing_label=t("welcome.pricing"),
        commands_label=t("welcome.commands"),
        commands=[fact(command, description) for command, description in commands],
        actions=actions,
    )
