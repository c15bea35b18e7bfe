"""Ticket messages: to the customer (a technician's reply, the resolution, thanks) and into the ticket's thread.
Text that people typed always goes into a TextRun, which renders no Markdown."""

from __future__ import annotations

from typing import Any

from cards.actions import execute
from cards.format import Translate
from cards.render import render
from desk.tickets import Ticket


def message_card(
    heading: str,
    text: str | None = None,
    subtitle: str | None = None,
    extra: list[dict[str, Any]] | None = None,
    actions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A heading, an optional subtitle, an optional literal text, more blocks, buttons."""
    # A heading can hold a person's name (e.g. "Megan (customer) wrote:"), so it is a TextRun too.
    title = {"type": "TextRun", "text": heading, "weight": "Bolder"}
    body: list[dict[str, Any]] = [{"type": "RichTextBlock", "inlines": [title]}]
    if subtitle:
        run = {"type": "TextRun", "text": subtitle, "isSubtle": True, "size": "Small"}
        body.append({"type": "RichTextBlock", "inlines": [run], "spacing": "None"})
    if text:
        body.append({"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text}]})
    body.extend(extra or [])
    return render("message", body=body, actions=actions or [])


def reply_card(t: Translate, ticket: Ticket, technician: str, partner: str, text: str) -> dict[str, Any]:
    """A technician's message, shown as coming from the partner with the technician's name."""
    about = t("relay.about", number=ticket.number)
    return message_card(t("relay.heading", name=technician, partner=partner), text, subtitle=about)


def resolution_card(t: Translate, ticket: Ticket) -> dict[str, Any]:
    """The resolution, a question (is it fixed?) and a 1–5 rating with an optional comment."""
    stars = [{"title": "★" * score + "☆" * (5 - score), "value": str(score)} for score in range(5, 0, -1)]
    extra: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": t("resolution.question"), "wrap": True, "spacing": "Medium"},
        {
            "type": "ActionSet",
            "actions": [
                execute(t("action.confirm_fixed"), "ticket.confirm", ticket.number, "positive", with_inputs=False),
                execute(t("action.still_broken"), "ticket.reject", ticket.number, with_inputs=False),
            ],
        },
        {
            "type": "Input.ChoiceSet",
            "id": "rating",
            "label": t("resolution.rate"),
            "style": "expanded",
            "isRequired": True,
            "errorMessage": t("refusal.bad_rating"),
            "choices": stars,
            "spacing": "Medium",
        },
        {
            "type": "Input.Text",
            "id": "rating_comment",
            "label": t("resolution.comment_label"),
            "placeholder": t("resolution.comment_hint"),
            "maxLength": 1000,
        },
        {"type": "ActionSet", "actions": [execute(t("action.send_rating"), "ticket.rate", ticket.number)]},
    ]
    heading = t("resolution.heading", number=ticket.number)
    return message_card(heading, ticket.resolution or "", subtitle=ticket.fields.title, extra=extra)


def thanks_card(t: Translate, ticket: Ticket, message: str) -> dict[str, Any]:
    """What replaces the resolution card once the customer has answered."""
    heading = t("resolution.heading", number=ticket.number)
    return message_card(heading, subtitle=ticket.fields.title, extra=[_line(message)])


def thread_card(heading: str, text: str | None = None) -> dict[str, Any]:
    """A post in a ticket's channel thread: what happened, and any text involved shown literally."""
    return message_card(heading, text)


def _line(text: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True}
