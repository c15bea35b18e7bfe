"""What technicians can do from a triage card: buttons and small forms, the refresh that gives them (and only
them) those buttons, and the ticket's history block."""

from __future__ import annotations

import json
from typing import Any

from cards.actions import execute
from cards.format import Translate, card_time, clip
from cards.inputs import choice_input
from desk.store.events import Event
from desk.tickets import MESSAGE_LIMIT, OPEN_STATUSES, Severity, Status, Ticket
from desk.workflow import allowed_statuses

REFRESH_VERB = "ticket.refresh"
EVENT_TEXT_LIMIT = 500  # characters of a reply or note shown in a history; the full text is in the thread


def technician_actions(t: Translate, ticket: Ticket) -> list[dict[str, Any]]:
    """The card actions for a technician: at most six (Teams shows six), the rest inside the small forms. Assigning
    sits with the assignee (see assignment_actions)."""
    target = ticket.number
    note = _form(
        t("action.note"),
        "note_text",
        t("form.note_label"),
        t("action.add_note"),
        "ticket.note",
        target,
        t("form.note_hint"),
    )
    change = _change_form(t, ticket)
    if ticket.status not in OPEN_STATUSES:
        publish = execute(
            t("kb.publish"), "kb.publish", target
        )  # its fix, as a knowledge-base answer (bot/features/kb.py)
        return [execute(t("action.reopen"), "ticket.reopen", target), note] + ([change] if change else []) + [publish]
    actions = [
        _form(
            t("action.reply"),
            "reply_text",
            t("form.reply_label"),
            t("action.send_reply"),
            "ticket.reply",
            target,
            t("form.reply_hint"),
        ),
        note,
    ]
    if change:
        actions.append(change)
    resolution_hint = t("form.resolution_hint")
    actions.append(
        _form(
            t("action.resolve"),
            "resolution",
            t("form.resolution_label"),
            t("action.resolve_confirm"),
            "ticket.resolve",
            target,
            resolution_hint,
        )
    )
    if not ticket.has_open_sr:
        actions.append(execute(t("action.escalate"), "ticket.escalate", target))
    return actions


def assignment_actions(
    t: Translate, ticket: Ticket, technicians: list[tuple[str, str]], viewer: str
) -> list[dict[str, Any]]:
    """ "Assign to me" (unless the viewer is the assignee) next to "Assign to…" another technician, for an open
    ticket; `viewer` is the Entra object id of the technician the card is for."""
    if ticket.status not in OPEN_STATUSES:
        return []
    actions = []
    if viewer != ticket.assignee_id:
        actions.append(execute(t("action.assign_me"), "ticket.assign_me", ticket.number, style="positive"))
    others = [(aad_id, name) for aad_id, name in technicians if aad_id not in (ticket.assignee_id, viewer)]
    if others:
        body = [
            _choice(t, "assignee", t("action.assign"), others),
            _action_set(execute(t("action.assign_confirm"), "ticket.assign", ticket.number)),
        ]
        actions.append(_show_card(t("action.assign"), body))
    return actions


def _change_form(t: Translate, ticket: Ticket) -> dict[str, Any] | None:
    """Status and severity changes share one small form."""
    body: list[dict[str, Any]] = []
    allowed = sorted(allowed_statuses(ticket), key=list(Status).index)
    if allowed:
        body += [
            _choice(t, "new_status", t("form.new_status"), [(s.value, t(f"status.{s.value}")) for s in allowed]),
            _action_set(execute(t("action.set_status"), "ticket.status", ticket.number)),
        ]
    if ticket.status in OPEN_STATUSES:
        severities = [(s.value, t(f"severity.{s.value}")) for s in Severity if s is not ticket.fields.severity]
        body += [
            _choice(t, "new_severity", t("form.new_severity"), severities),
            _action_set(execute(t("action.set_severity"), "ticket.severity", ticket.number)),
        ]
    if not body:
        return None
    return _show_card(t("action.status"), body)


def refresh_block(ticket: Ticket, user_ids: list[str]) -> dict[str, Any]:
    """Teams re-asks the bot for this card on behalf of each listed user (technicians), who then get buttons."""
    data = {"verb": REFRESH_VERB, "id": ticket.number}
    return {"action": {"type": "Action.Execute", "verb": REFRESH_VERB, "data": data}, "userIds": user_ids[:60]}


def history_block(t: Translate, events: list[Event], limit: int = 15, budget: int = 12_000) -> list[dict[str, Any]]:
    """The ticket's most recent events, newest last: at most `limit` events and about `budget` bytes of card, so
    the card stays within Teams' message size however long the replies were. Long texts are shortened; free
    text (replies, notes, messages) is shown literally."""
    items: list[dict[str, Any]] = []
    spent = 0
    for event in reversed(events[-limit:]):
        line = f"{card_time(event.at)} · {event.actor_name} · {describe_event(t, event)}"
        inlines: list[dict[str, Any]] = [{"type": "TextRun", "text": line, "size": "Small"}]
        if event.text:
            inlines.append(
                {"type": "TextRun", "text": f"\n{clip(event.text, EVENT_TEXT_LIMIT)}", "size": "Small", "italic": True}
            )
        item = {"type": "RichTextBlock", "inlines": inlines, "spacing": "Small"}
        size = len(json.dumps(item, ensure_ascii=False).encode("utf-8"))
        if spent + size > budget:
            break
        items.insert(0, item)
        spent += size
    heading = {"type": "TextBlock", "text": t("history.heading"), "weight": "Bolder", "spacing": "Medium", "wrap": True}
    hidden = len(events) - len(items)
    older = [{"type": "TextBlock", "text": t("history.older", count=hidden), "isSubtle": True}] if hidden else []
    return [{"type": "Container", "items": [heading, *older, *items], "separator": True}]


def describe_event(t: Translate, event: Event) -> str:
    """One audit event in words (without its free text)."""
    if event.kind == "status":
        return t("history.status", old=t(f"status.{event.old_value}"), new=t(f"status.{event.new_value}"))
    if event.kind == "severity":
        return t("history.severity", old=t(f"severity.{event.old_value}"), new=t(f"severity.{event.new_value}"))
    if event.kind == "assigned":
        return t("history.assigned", old=event.old_value or t("triage.unassigned"), new=event.new_value or "")
    if event.kind == "rated":
        return t("history.rated", score=event.new_value or "")
    return t(f"history.{event.kind}")


def _form(title: str, input_id: str, label: str, button: str, verb: str, target: str, hint: str) -> dict[str, Any]:
    text_input = {
        "type": "Input.Text",
        "id": input_id,
        "label": label,
        "isMultiline": True,
        "isRequired": True,
        "maxLength": MESSAGE_LIMIT,
        "placeholder": hint,
        "errorMessage": hint,
    }
    return _show_card(title, [text_input, _action_set(execute(button, verb, target, style="positive"))])


def _action_set(*actions: dict[str, Any]) -> dict[str, Any]:
    return {"type": "ActionSet", "actions": list(actions)}


def _show_card(title: str, body: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "Action.ShowCard", "title": title, "card": {"type": "AdaptiveCard", "body": body}}


def _choice(t: Translate, input_id: str, label: str, options: list[tuple[str, str]]) -> dict[str, Any]:
    return choice_input(input_id, label, options, {}, t("form.error.required"))
