"""Escalation cards: the form that files a Microsoft service request, the sign-in it may need first, and the
confirmation. Card data carries a verb and an id; the form's values are the inputs, saved server-side."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cards.actions import execute, open_url
from cards.format import Translate, fact
from cards.inputs import choice_input, problem_words, text_input
from cards.messages import message_card
from desk.escalation import LIMITS, Vehicle
from desk.tickets import Severity, Ticket


def vehicle_text(t: Translate, vehicle: Vehicle) -> str:
    """Which Microsoft support handles the request, in words."""
    if vehicle.kind == "commercial":
        return t("vehicle.commercial")
    if vehicle.kind == "technical":
        return t("vehicle.technical", plan=vehicle.plan)
    return t("vehicle.none")


def escalation_form(
    t: Translate,
    draft_id: str,
    ticket: Ticket,
    topics: list[tuple[str, str]],
    values: Mapping[str, str],
    vehicle: Vehicle,
    errors: Mapping[str, str] | None = None,
    guidance: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The service request about to be filed, prefilled from the ticket and editable; `guidance` is the
    per-service block (cards/guidance.py) saying where this product's escalations belong."""
    errors = errors or {}
    severities = [(s.value, t(f"severity.{s.value}")) for s in Severity]
    inputs: list[dict[str, Any]] = [
        choice_input("topic", t("escalation.topic"), topics, values, t("form.error.required")),
        choice_input("severity", t("escalation.severity"), severities, values, t("form.error.required")),
        text_input("title", t("escalation.title"), values, LIMITS["title"]),
        text_input("description", t("escalation.description"), values, LIMITS["description"], multiline=True),
        text_input("contact", t("escalation.contact"), values, LIMITS["contact"]),
    ]
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": vehicle_text(t, vehicle), "wrap": True, "isSubtle": True},
        {"type": "TextBlock", "text": t("escalation.commercial_hint"), "wrap": True, "size": "Small", "isSubtle": True},
        *(guidance or []),
    ]
    if errors:
        body.append({"type": "TextBlock", "text": t("form.fix_problems"), "color": "Attention", "wrap": True})
    for item in inputs:
        body.append(item)
        problem = problem_words(t, errors.get(item["id"]), LIMITS.get(item["id"], 0))
        if problem:
            body.append({"type": "TextBlock", "text": problem, "color": "Attention", "size": "Small", "wrap": True})
    heading = t("escalation.heading", number=ticket.number)
    return message_card(
        heading,
        extra=body,
        actions=[execute(t("action.file_request"), "escalation.submit", draft_id, style="positive")],
    )


def sign_in_card(t: Translate, link: str | None, device: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Asks the technician to sign in to Partner Center (a link, or a device code to enter)."""
    if link:
        return message_card(
            t("signin.heading"), extra=[_line(t("signin.why"))], actions=[open_url(t("action.sign_in"), link)]
        )
    assert device is not None
    facts = [
        fact(t("signin.device_url"), str(device.get("verification_uri", ""))),
        fact(t("signin.device_code"), str(device.get("user_code", ""))),
    ]
    extra = [_line(t("signin.why")), _line(t("signin.device")), {"type": "FactSet", "facts": facts}]
    return message_card(t("signin.heading"), extra=extra)


def signed_in_card(t: Translate, username: str, resume: str | None) -> dict[str, Any]:
    """Sign-in done; with a button back to the escalation that asked for it."""
    actions = (
        [execute(t("action.continue_escalation"), "escalation.resume", resume, style="positive")] if resume else []
    )
    return message_card(t("signin.done", user=username), extra=[_line(t("signin.done_more"))], actions=actions)


def escalated_card(t: Translate, ticket: Ticket, sr_id: str, vehicle: Vehicle, again: bool = False) -> dict[str, Any]:
    """What replaces the form once the service request exists."""
    facts = [fact(t("escalation.sr"), sr_id), fact(t("escalation.vehicle"), vehicle_text(t, vehicle))]
    key = "escalation.already" if again else "escalation.done"
    return message_card(t(key, number=ticket.number, sr=sr_id), extra=[{"type": "FactSet", "facts": facts}])


def _line(text: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True}
