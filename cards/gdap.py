"""GDAP cards: the partner's relationships per customer (`gdap`), an expiry warning for the triage channel, and the
relationship's state as the admin card shows it. Names that come from Graph go into TextRuns (no Markdown)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from cards.format import Translate, card_time, maybe
from cards.messages import message_card
from desk.gdap import (
    ENDED,
    SERVICE_SUPPORT_ADMINISTRATOR,
    AccessState,
    CustomerAccess,
    ExpiryWarning,
    allows_support,
    is_active,
    role_name,
)
from msapi.gdap import Relationship

MAX_RELATIONSHIPS = 40  # a card stays well inside Teams' size limit


def gdap_card(
    t: Translate, relationships: list[Relationship], now: datetime, customer: str | None = None
) -> dict[str, Any]:
    """Every relationship, grouped by customer (customers by name, each one's active relationships first)."""
    heading = t("gdap.heading_customer", customer=customer) if customer else t("gdap.heading", count=len(relationships))
    if not relationships:
        return message_card(heading, extra=[_text(t("gdap.none"))])
    by_customer: dict[str, list[Relationship]] = defaultdict(list)
    for relationship in relationships:
        by_customer[relationship.customer_name or relationship.customer_tenant_id].append(relationship)
    extra: list[dict[str, Any]] = []
    shown = 0
    for name in sorted(by_customer, key=str.casefold):
        if shown >= MAX_RELATIONSHIPS:
            break
        extra.append(_literal(name, bold=True, spacing="Medium"))
        ordered = sorted(by_customer[name], key=lambda r: (not is_active(r, now), r.end or now))
        for relationship in ordered[: MAX_RELATIONSHIPS - shown]:
            extra += relationship_blocks(t, relationship, now)
            shown += 1
    if shown < len(relationships):
        extra.append(_text(t("gdap.more", count=len(relationships) - shown)))
    return message_card(heading, extra=extra)


def relationship_blocks(t: Translate, relationship: Relationship, now: datetime) -> list[dict[str, Any]]:
    """One relationship: its name, status, end, auto-extend, roles, and a missing support role called out."""
    end = card_time(relationship.end) if relationship.end else t("gdap.no_end")
    extend = t("gdap.auto_extend_on") if relationship.auto_extends else t("gdap.auto_extend_off")
    roles = ", ".join(role_name(role) for role in relationship.role_ids) or t("gdap.no_roles")
    blocks: list[dict[str, Any]] = [
        _literal(relationship.display_name or relationship.id),
        _text(t("gdap.line", status=status_text(t, relationship.status), end=end, extend=extend), subtle=True),
        _text(t("gdap.roles", roles=roles), subtle=True),
    ]
    if is_active(relationship, now) and not allows_support(relationship):
        blocks.append(_text(t("gdap.missing_support_role", role=role_name(SERVICE_SUPPORT_ADMINISTRATOR)), True))
    return blocks


def warning_card(t: Translate, warning: ExpiryWarning) -> tuple[dict[str, Any], str]:
    """An expiry warning for the triage channel, and its notification text."""
    relationship = warning.relationship
    customer = relationship.customer_name or relationship.customer_tenant_id
    values = {"customer": customer, "name": relationship.display_name or relationship.id}
    if warning.threshold == ENDED:
        heading = t("gdap.warn_ended", status=status_text(t, relationship.status), **values)
        advice = t("gdap.advice_ended")
    else:
        end = card_time(relationship.end) if relationship.end else ""
        heading = t(f"gdap.warn_{warning.threshold}", end=end, **values)
        advice = t("gdap.advice_renew")
    roles = ", ".join(role_name(role) for role in relationship.role_ids) or t("gdap.no_roles")
    extra = [_text(advice), _text(t("gdap.roles", roles=roles), subtle=True)]
    return message_card(heading, extra=extra), t("gdap.warn_summary", customer=customer)


def access_blocks(t: Translate, access: CustomerAccess | None, now: datetime) -> list[dict[str, Any]]:
    """The admin card's GDAP section; None means the relationships could not be read."""
    blocks: list[dict[str, Any]] = [_text(t("gdap.admin_heading"), bold=True)]
    if access is None:
        return [*blocks, _text(t("gdap.unavailable"), attention=True)]
    if access.current is None:
        return [*blocks, _text(t("gdap.access_none"), attention=True)]
    blocks += relationship_blocks(t, access.current, now)
    if access.state is AccessState.ENDED:
        blocks.append(_text(t("gdap.access_ended"), attention=True))
    return blocks


def status_text(t: Translate, status: str) -> str:
    """A relationship status in the reader's language (Graph's word when the catalog lacks it)."""
    return maybe(t, f"gdap.status.{status}") or status


def _literal(text: str, bold: bool = False, spacing: str = "Small") -> dict[str, Any]:
    run: dict[str, Any] = {"type": "TextRun", "text": text}
    if bold:
        run["weight"] = "Bolder"
    return {"type": "RichTextBlock", "inlines": [run], "spacing": spacing}


def _text(text: str, attention: bool = False, subtle: bool = False, bold: bool = False) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "TextBlock", "text": text, "wrap": True, "spacing": "Small"}
    if attention:
        block["color"] = "Attention"
    if subtle:
        block["isSubtle"] = True
    if bold:
        block["weight"] = "Bolder"
    return block
