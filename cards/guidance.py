"""The per-service guidance block, on the escalation form and the technician's ticket card: where this ticket's
escalation goes by its product, a link that opens it for the customer, and what to collect first."""

from __future__ import annotations

from typing import Any

from cards.actions import open_url
from cards.format import Translate
from desk.guidance import Guidance


def guidance_block(t: Translate, guidance: Guidance | None) -> list[dict[str, Any]]:
    """The block (nothing for products without guidance)."""
    if guidance is None:
        return []
    items: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": t("guidance.heading"), "weight": "Bolder", "wrap": True},
        {"type": "TextBlock", "text": t(f"guidance.{guidance.path}.path"), "wrap": True},
        {"type": "TextBlock", "text": t("guidance.collect"), "wrap": True, "spacing": "Small", "isSubtle": True},
        {
            "type": "TextBlock",
            "text": "\n".join(f"- {t(f'guidance.collect.{item}')}" for item in guidance.collect),
            "wrap": True,
            "spacing": "None",
        },
    ]
    if guidance.link:
        items.append({"type": "ActionSet", "actions": [open_url(t(f"guidance.{guidance.path}.link"), guidance.link)]})
    return [{"type": "Container", "style": "emphasis", "items": items, "spacing": "Medium"}]
