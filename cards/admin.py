"""Admin cards: one customer's service-management links and subscriptions; the customer list."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from cards.actions import execute, open_url
from cards.format import Translate, fact, maybe
from cards.messages import message_card


class PortalAccess(Enum):
    """Whether the asking technician's own Partner Center sign-in could be used for the admin portals."""

    SIGNED_IN = "signed_in"
    SIGN_IN_NEEDED = "sign_in_needed"
    NOT_CONFIGURED = "not_configured"


@dataclass(frozen=True)
class AdminView:
    """What the admin card shows about one customer."""

    customer_name: str
    customer_id: str
    services: list[Any]
    subscriptions: list[Any]
    partner_center_url: str
    admin_center_url: str
    problems: list[str]
    access: PortalAccess
    gdap: list[dict[str, Any]] = field(default_factory=list)  # the GDAP relationship's state (cards/gdap.py)


def admin_card(t: Translate, view: AdminView) -> dict[str, Any]:
    """What Partner Center shows under Customers → Service management, plus subscriptions; without the
    technician's sign-in, why the portal links are missing and a button to sign in."""
    extra: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    if view.access is PortalAccess.SIGN_IN_NEEDED:
        extra.append({"type": "TextBlock", "text": t("admin.sign_in_needed"), "wrap": True})
        actions.append(execute(t("action.sign_in"), "admin.sign_in", view.customer_id, style="positive"))
    elif view.access is PortalAccess.NOT_CONFIGURED:
        extra.append({"type": "TextBlock", "text": t("admin.sign_in_unavailable"), "wrap": True})
    if view.services:
        extra.append({"type": "TextBlock", "text": t("admin.services"), "weight": "Bolder", "wrap": True})
        buttons = [open_url(s.name, s.admin_url) for s in view.services if s.admin_url.startswith("https://")]
        for start in range(0, len(buttons), 3):
            extra.append({"type": "ActionSet", "actions": buttons[start : start + 3]})
    if view.subscriptions:
        extra.append({"type": "TextBlock", "text": t("admin.subscriptions"), "weight": "Bolder", "wrap": True})
        facts = [
            fact(
                s.friendly_name or s.offer_name, t("admin.subscription_line", quantity=s.quantity, status=_status(t, s))
            )
            for s in view.subscriptions[:20]
        ]
        extra.append({"type": "FactSet", "facts": facts})
    extra += view.gdap
    for problem in view.problems:
        extra.append({"type": "TextBlock", "text": problem, "color": "Attention", "wrap": True})
    actions += [
        execute(t("readiness.button"), "readiness.check", view.customer_id, with_inputs=False),
        open_url(t("admin.partner_center"), view.partner_center_url),
        open_url(t("action.admin_center"), view.admin_center_url),
    ]
    return message_card(t("admin.heading", customer=view.customer_name), extra=extra, actions=actions)


def _status(t: Translate, subscription: Any) -> str:
    return maybe(t, f"subscription.{subscription.status}") or subscription.status
