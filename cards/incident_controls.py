"""The incident card's noise controls: who acknowledged it and when, a snooze, muted customers, and the buttons
(Acknowledge, Snooze, Mute a customer, Reply to all linked tickets). Button data is a verb and the incident id;
the snooze and mute choices are the card's inputs, checked by the server."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

from cards.actions import execute
from cards.format import Translate, card_time
from cards.inputs import choice_input
from cards.render import MAX_CARD_BYTES, card_size
from desk.incident_noise import SNOOZE_NEXT_UPDATE, IncidentControl

ACK_VERB = "incident_card.ack"
SNOOZE_VERB = "incident_card.snooze"
MUTE_VERB = "incident_card.mute"
REPLY_ALL_VERB = "incident_card.reply_all"  # opens the bulk reply form (also from the storm summary card)
SNOOZE_INPUT = "snooze_for"
MUTE_INPUT = "mute_customer"
# Customers offered in the mute list (by name): an incident storm touches hundreds of tenants, and Teams refuses a
# card above MAX_CARD_BYTES. The server accepts any affected customer; the card offers the first this many.
MUTE_CHOICES = 100


def incident_view(t: Translate, base: dict[str, Any], control: IncidentControl, now: datetime) -> dict[str, Any]:
    """The monitor's card (`base`) with the controls' state and, unless resolved, the buttons."""
    card = copy.deepcopy(base)
    card["body"] = [*card.get("body", []), *_state(t, control, now)]
    if not control.resolved:
        buttons = _buttons(t, control)
        card["actions"] = [*buttons, *base.get("actions", [])]
        if card_size(card) > MAX_CARD_BYTES:  # the mute list is what grows with the tenants
            card["actions"] = [*[b for b in buttons if not _is_mute(b)], *base.get("actions", [])]
    return card


def stored_view(t: Translate, control: IncidentControl, now: datetime) -> dict[str, Any] | None:
    """The card as last posted by the monitor, with the controls as they stand; None if never posted."""
    if not control.card:
        return None
    base: dict[str, Any] = json.loads(control.card)
    return incident_view(t, base, control, now)


def _state(t: Translate, control: IncidentControl, now: datetime) -> list[dict[str, Any]]:
    lines: list[str] = []
    if control.acked_at is not None:
        lines.append(t("incident.controls.acked", name=control.acked_by_name or "", when=card_time(control.acked_at)))
    if control.snoozed(now) and control.snoozed_until is not None:
        until = card_time(control.snoozed_until)
        lines.append(t("incident.controls.snoozed", name=control.snoozed_by_name or "", when=until))
    names = dict(control.customers)
    if control.muted:
        muted = ", ".join(names.get(tenant, tenant) for tenant in control.muted)
        lines.append(t("incident.controls.muted", customers=muted))
    if not lines:
        return []
    inlines = [{"type": "TextRun", "text": line + ("\n" if i < len(lines) - 1 else "")} for i, line in enumerate(lines)]
    return [{"type": "RichTextBlock", "inlines": inlines, "separator": True}]


def _buttons(t: Translate, control: IncidentControl) -> list[dict[str, Any]]:
    target = control.incident_id
    buttons: list[dict[str, Any]] = []
    if control.acked_at is None:
        buttons.append(execute(t("action.incident_ack"), ACK_VERB, target, "positive", with_inputs=False))
    buttons.append(_snooze_form(t, control))
    unmuted = sorted(
        ((tenant, name) for tenant, name in control.customers if tenant not in control.muted),
        key=lambda pair: pair[1].casefold(),
    )
    if unmuted:
        buttons.append(_mute_form(t, target, unmuted[:MUTE_CHOICES]))
    buttons.append(execute(t("action.incident_reply_all"), REPLY_ALL_VERB, target, with_inputs=False))
    return buttons


def _snooze_form(t: Translate, control: IncidentControl) -> dict[str, Any]:
    if control.next_update_at is not None:
        next_words = t("incident.snooze.next", when=card_time(control.next_update_at))
    else:
        next_words = t("incident.snooze.next_unknown")
    options = [("1h", t("incident.snooze.1h")), ("4h", t("incident.snooze.4h")), (SNOOZE_NEXT_UPDATE, next_words)]
    choice = choice_input(SNOOZE_INPUT, t("incident.snooze.label"), options, {}, t("incident.snooze.required"))
    button = execute(t("action.incident_snooze_confirm"), SNOOZE_VERB, control.incident_id)
    return _show_card(t("action.incident_snooze"), [choice, {"type": "ActionSet", "actions": [button]}])


def _mute_form(t: Translate, target: str, customers: list[tuple[str, str]]) -> dict[str, Any]:
    choice = choice_input(MUTE_INPUT, t("incident.mute.label"), customers, {}, t("incident.mute.required"))
    button = execute(t("action.incident_mute_confirm"), MUTE_VERB, target)
    return _show_card(t("action.incident_mute"), [choice, {"type": "ActionSet", "actions": [button]}])


def _is_mute(button: dict[str, Any]) -> bool:
    return any(
        action.get("verb") == MUTE_VERB
        for block in button.get("card", {}).get("body", [])
        for action in block.get("actions", [])
    )


def _show_card(title: str, body: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "Action.ShowCard", "title": title, "card": {"type": "AdaptiveCard", "body": body}}
