"""What each ticket change announces, and to whom: the triage card updated in place, a line in the ticket's
thread, and (never for private notes) a plain-words notice to the customer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cards.actions import execute
from cards.health import status_words
from cards.messages import reply_card, resolution_card, thread_card
from cards.render import card_message, text_message
from cards.routes import move_action
from cards.tickets import status_card
from cards.triage import triage_card
from cards.triage_actions import REFRESH_VERB, assignment_actions, refresh_block, technician_actions
from desk.directory_service import TriageContext
from desk.i18n import Translator
from desk.outbox import Card, Operation, Outgoing
from desk.store.conversations import Conversation
from desk.store.incidents import LinkedIncident
from desk.tickets import Ticket
from desk.workflow import (
    Actor,
    AssignTo,
    Change,
    Confirm,
    CustomerMessage,
    Escalate,
    Note,
    Rate,
    Reject,
    Reopen,
    Reply,
    Resolve,
    SetSeverity,
    SetStatus,
    SrUpdate,
)


@dataclass(frozen=True)
class Audience:
    """Where a ticket's news goes: the triage channel, the requester's chat, and who gets technician views."""

    triage: Conversation | None
    customer: Conversation | None
    partner_name: str
    refresh_ids: list[str]
    technicians: list[tuple[str, str]]
    incidents: list[LinkedIncident] = field(default_factory=list)
    routing: TriageContext | None = None  # the triage channels, for the technician card's Move form


def base_triage_card(
    t: Translator, ticket: Ticket, now: datetime, refresh_ids: list[str], incidents: list[LinkedIncident] | None = None
) -> dict[str, Any]:
    """The card everyone sees. Teams refreshes it into the technician view for the listed technicians; where a
    client does not refresh automatically, its one button asks for that view (and is refused to anyone else)."""
    manual = [execute(t("action.technician_view"), REFRESH_VERB, ticket.number)]
    extra = incident_block(t, incidents or [])
    return triage_card(t, ticket, now, actions=manual, refresh=refresh_block(ticket, refresh_ids), extra=extra)


def incident_block(t: Translator, incidents: list[LinkedIncident]) -> list[dict[str, Any]]:
    """Microsoft incidents related to the ticket (same customer, same service)."""
    if not incidents:
        return []
    items: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": t("incident.related"), "weight": "Bolder", "color": "Attention", "wrap": True}
    ]
    for incident in incidents:
        line = f"{incident.incident_id} · {status_words(t, incident.status)}\n"
        inlines = [{"type": "TextRun", "text": line, "weight": "Bolder"}, {"type": "TextRun", "text": incident.title}]
        items.append({"type": "RichTextBlock", "inlines": inlines})
    return [{"type": "Container", "style": "attention", "items": items, "spacing": "Medium"}]


def triage_post(
    channel: Conversation,
    ticket: Ticket,
    now: datetime,
    refresh_ids: list[str],
    incidents: list[LinkedIncident] | None = None,
) -> Outgoing:
    """The outbox entry that posts a ticket's triage card as a new thread in `channel`, the triage channel routing
    picked for it (desk TriageContext.channel_for) or a technician moved it to, with the incidents already linked to
    it (a card storm mode kept back is posted late, desk/storm.py); queueing it makes that channel the ticket's
    (desk/store/outbox.py `enqueue`)."""
    t = Translator(channel.locale)
    summary = t("triage.new_ticket_summary", number=ticket.number, customer=ticket.requester.customer_name)
    card = base_triage_card(t, ticket, now, refresh_ids, incidents)
    return Outgoing(channel.key, Operation.POST, card_message(card, summary), ticket_id=ticket.id, card=Card.TRIAGE)


def technician_card(
    t: Translator,
    ticket: Ticket,
    now: datetime,
    audience: Audience,
    extra: list[dict[str, Any]] | None = None,
    viewer: str = "",
) -> dict[str, Any]:
    """The card with every action a technician can take on the ticket now; `viewer` is that technician's Entra
    object id (the assignee is not offered "Assign to me")."""
    actions = technician_actions(t, ticket)
    if audience.routing is not None:
        move = move_action(t, ticket, audience.routing, audience.triage.key if audience.triage else None)
        actions += [move] if move is not None else []
    return triage_card(
        t,
        ticket,
        now,
        actions=actions,
        refresh=refresh_block(ticket, audience.refresh_ids),
        extra=incident_block(t, audience.incidents) + (extra or []),
        assignment=assignment_actions(t, ticket, audience.technicians, viewer),
    )


def announcer(audience: Audience, now: datetime):  # type: ignore[no-untyped-def]
    """The `announce` callback for Desk.apply: pure, it runs inside the transaction."""

    def announce(before: Ticket, after: Ticket, change: Change, actor: Actor) -> list[Outgoing]:
        items: list[Outgoing] = []
        if audience.triage is not None:
            items += _triage_news(audience, before, after, change, actor, now)
        if audience.customer is not None and not isinstance(change, Note):
            items += _customer_news(audience, before, after, change, actor, now)
        return items

    return announce


def _triage_news(
    audience: Audience, before: Ticket, after: Ticket, change: Change, actor: Actor, now: datetime
) -> list[Outgoing]:
    channel = audience.triage
    assert channel is not None
    t = Translator(channel.locale)
    card = base_triage_card(t, after, now, audience.refresh_ids, audience.incidents)
    update = Outgoing(channel.key, Operation.UPDATE, card_message(card), ticket_id=after.id, card=Card.TRIAGE)
    heading, text = _thread_line(t, before, after, change, actor)
    post = Outgoing(channel.key, Operation.REPLY, card_message(thread_card(heading, text)), after.id, Card.TRIAGE)
    return [update, post]


def _thread_line(t: Translator, before: Ticket, after: Ticket, change: Change, actor: Actor) -> tuple[str, str | None]:
    who = actor.name
    if isinstance(change, AssignTo):
        if change.aad_id == actor.aad_id:
            return t("thread.took", actor=who), None
        return t("thread.assigned", actor=who, name=change.name), None
    if isinstance(change, SetSeverity):
        old, new = t(f"severity.{before.fields.severity.value}"), t(f"severity.{after.fields.severity.value}")
        return t("thread.severity", actor=who, old=old, new=new), None
    if isinstance(change, SetStatus | Reopen | Reject | Confirm):
        key = {Reopen: "thread.reopened", Reject: "thread.rejected", Confirm: "thread.confirmed"}.get(
            type(change), "thread.status"
        )
        return t(key, actor=who, old=t(f"status.{before.status.value}"), new=t(f"status.{after.status.value}")), None
    if isinstance(change, Reply):
        return t("thread.reply", actor=who), change.text
    if isinstance(change, Note):
        return t("thread.note", actor=who), change.text
    if isinstance(change, Resolve):
        return t("thread.resolved", actor=who), change.summary
    if isinstance(change, CustomerMessage):
        return t("thread.customer_message", actor=who), change.text
    if isinstance(change, Rate):
        return t("thread.rated", actor=who, score=change.score), change.comment or None
    if isinstance(change, Escalate):
        vehicle = t.maybe(f"vehicle.short.{change.vehicle}") or change.vehicle  # plan names are proper nouns
        return t("thread.escalated", actor=who, sr=change.sr_id, vehicle=vehicle), None
    if isinstance(change, SrUpdate):
        return _sr_line(t, before, after, change)
    raise TypeError(f"no thread line for {type(change).__name__}")


def _sr_line(t: Translator, before: Ticket, after: Ticket, change: SrUpdate) -> tuple[str, str | None]:
    notes = "\n\n".join(change.new_notes) or None
    if after.sr_status != before.sr_status:
        key = "thread.sr_closed" if after.sr_status == "closed" else "thread.sr_status"
        return t(key, sr=after.sr_id, old=t(f"sr.{before.sr_status}"), new=t(f"sr.{after.sr_status}")), notes
    return t("thread.sr_note", sr=after.sr_id), notes


def _customer_news(
    audience: Audience, before: Ticket, after: Ticket, change: Change, actor: Actor, now: datetime
) -> list[Outgoing]:
    chat = audience.customer
    assert chat is not None
    t = Translator(chat.locale)
    items: list[Outgoing] = []
    if isinstance(change, SrUpdate):
        return []
    if isinstance(change, Escalate):
        items.append(_say(chat, after, t("notice.escalated", number=after.number, sr=change.sr_id)))
    elif isinstance(change, Reply):
        card = reply_card(t, after, actor.name, audience.partner_name, change.text)
        items.append(
            Outgoing(chat.key, Operation.POST, card_message(card, t("relay.summary", number=after.number)), after.id)
        )
    elif isinstance(change, AssignTo):
        items.append(_say(chat, after, t("notice.assigned", number=after.number, name=change.name)))
    if after.status is not before.status and not isinstance(change, AssignTo | Confirm | Reject | Escalate):
        if after.status.value == "resolved":
            items.append(Outgoing(chat.key, Operation.POST, card_message(resolution_card(t, after)), after.id))
        elif not isinstance(change, CustomerMessage):
            items.append(_say(chat, after, t(f"notice.status.{after.status.value}", number=after.number)))
    if after.customer_card_activity_id and (after.status is not before.status or isinstance(change, AssignTo)):
        card = status_card(t, after, t(f"notice.status.{after.status.value}", number=after.number))
        items.append(Outgoing(chat.key, Operation.UPDATE, card_message(card), after.id, Card.CUSTOMER))
    return items


def _say(chat: Conversation, ticket: Ticket, text: str) -> Outgoing:
    return Outgoing(chat.key, Operation.POST, text_message(text), ticket.id)
