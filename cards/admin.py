"""Admin cards: one customer's service-management links and subscriptions; the customer list."""

from __future__ import annotations

from typing import Any

from cards.actions import open_url
from cards.format import Translate, fact, maybe
from cards.messages import message_card


def admin_card(
    t: Translate,
    customer_name: str,
    services: list[Any],
    subscriptions: list[Any],
    partner_center_url: str,
    admin_center_url: str,
    problems: list[str],
) -> dict[str, Any]:
    """What Partner Center shows under Customers → Service management, plus subscriptions."""
    extra: list[dict[str, Any]] = []
    if services:
        extra.append({"type": "TextBlock", "text": t("admin.services"), "weight": "Bolder", "wrap": True})
        buttons = [open_url(s.name, s.admin_url) for s in services if s.admin_url.startswith("https://")]
        for start in range(0, len(buttons), 3):
            extra.append({"type": "ActionSet", "actions": buttons[start : start + 3]})
    if subscriptions:
        extra.append({"type": "TextBlock", "text": t("admin.subscriptions"), "weight": "Bolder", "wrap": True})
        facts = [
            fact(
                s.friendly_name or s.offer_name, t("admin.subscription_line", quantity=s.quantity, status=_status(t, s))
            )
            for s in subscriptions[:20]
        ]
        extra.append({"type": "FactSet", "facts": facts})
    for problem in problems:
        extra.append({"type": "TextBlock", "text": problem, "color": "Attention", "wrap": True})
    actions = [
        open_url(t("admin.partner_center"), partner_center_url),
        open_url(t("action.admin_center"), admin_center_url),
    ]
    return message_card(t("admin.heading", customer=customer_name), extra=extra, actions=actions)


def customers_card(t: Translate, rows: list[tuple[str, int]]) -> dict[str, Any]:
    """Every customer with its open tickets."""
    facts = [fact(name, t("customers.open", count=count)) for name, count in rows]
    extra = [{"type": "FactSet", "facts": facts}] if facts else [{"type": "TextBlock", "text": t("customers.none")}]
    return message_card(t("customers.heading", count=len(rows)), extra=extra)


def _status(t: Translate, subscription: Any) -> str:
    return maybe(t, f"subscription.{subscription.status}") or subscription.status
