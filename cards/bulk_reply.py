"""The bulk reply form: one reply to every open ticket linked to an incident. Its button carries the form's own id
(the idempotency key of the sends), never the text or the tickets: the server reloads them."""

from __future__ import annotations

from typing import Any

from cards.actions import execute
from cards.format import Translate
from cards.render import render
from desk.tickets import MESSAGE_LIMIT

SEND_VERB = "incident_card.reply_all_send"
TEXT_INPUT = "bulk_text"


def bulk_reply_form(t: Translate, bulk_id: str, incident_id: str, open_tickets: int, skipped: int) -> dict[str, Any]:
    """The form for a bulk reply to the `open_tickets` open tickets linked to `incident_id`."""
    intro = t("bulk.intro", count=open_tickets, id=incident_id)
    if skipped:
        intro += " " + t("bulk.skipped", count=skipped)
    return render(
        "bulk_reply",
        heading=t("bulk.heading", id=incident_id),
        intro=intro,
        input_id=TEXT_INPUT,
        label=t("bulk.label"),
        limit=MESSAGE_LIMIT,
        hint=t("bulk.hint"),
        required=t("bulk.required"),
        actions=[execute(t("action.bulk_send"), SEND_VERB, bulk_id, "positive")],
    )
