"""Ticket plumbing shared by the technician and customer features: finding a ticket, applying a change with
its announcements, and the technician's view of a card."""

from __future__ import annotations

from typing import Any

from bot.features.notices import Audience, announcer, technician_card
from bot.turns.services import Services
from bot.turns.turn import Turn
from cards.guidance import guidance_block
from cards.ms_response import response_clock_block
from cards.render import MAX_CARD_BYTES, card_size
from cards.triage_actions import history_block
from desk.guidance import guidance_for
from desk.i18n import Translator
from desk.people import Role
from desk.tickets import Ticket, parse_ticket_number
from desk.workflow import Actor, Change, Refused

HISTORY_MARGIN = 600  # bytes for the history's heading, its "older events" line and its container


async def audience_for(turn: Turn, ticket: Ticket) -> Audience:
    """Where news about `ticket` goes, and who sees technician views."""
    return await audience_of(turn.services, ticket)


async def audience_of(services: Services, ticket: Ticket) -> Audience:
    """`audience_for` without a turn (the PSA bridge's inbound changes)."""
    desk = services.desk
    allowed = services.settings.technicians
    technicians = [
        (tech.aad_id, tech.name) for tech in await desk.technicians() if not allowed or tech.aad_id in allowed
    ]
    triage = await desk.triage_context([ticket])
    return Audience(
        triage=triage.channel_for(ticket),
        customer=await desk.conversation(ticket.requester.conversation_key),
        partner_name=services.settings.support.partner_name,
        refresh_ids=triage.refresh_ids,
        technicians=technicians,
        incidents=await desk.incidents_of(ticket.id),
        routing=triage,
    )


def actor_of(turn: Turn) -> Actor:
    """The person of the turn as the author of a change."""
    return Actor(turn.person.aad_id, turn.person.name, turn.person.role)


async def apply_change(turn: Turn, ticket: Ticket, change: Change) -> Ticket:
    """Apply `change` by the turn's person; raises Refused with nothing written. A redelivery of the turn's
    activity does not apply it again (it gets the ticket as it is)."""
    audience = await audience_for(turn, ticket)
    once = turn.delivery.next_change() if turn.delivery else None
    announce = announcer(audience, turn.services.clock())
    return await turn.services.desk.apply(ticket.id, actor_of(turn), change, announce, once=once)


def refusal(turn: Turn, refused: Refused) -> str:
    """The refusal in the reader's language."""
    return refusal_text(turn.t, refused, turn.services.settings.support.partner_name)


def refusal_text(t: Translator, refused: Refused, partner: str) -> str:
    """A refusal in `t`'s language."""
    values = dict(refused.values)
    if "status" in values:
        values["status"] = t(f"status.{values['status']}")
    for key in ("old", "new"):
        if key in values:
            values[key] = t(f"status.{values[key]}")
    if "severity" in values:
        values["severity"] = t(f"severity.{values['severity']}")
    values.setdefault("partner", partner)
    return t(refused.key, **values)


async def find_ticket(turn: Turn, reference: str) -> Ticket | None:
    """A ticket by number ('T-1001'), visible to this person (customers: only their own)."""
    ticket_id = parse_ticket_number(reference)
    ticket = await turn.services.desk.ticket(ticket_id) if ticket_id else None
    if ticket is None:
        return None
    if turn.person.role is Role.TECHNICIAN:
        return ticket
    mine = (
        ticket.requester.aad_id == turn.person.aad_id and ticket.requester.tenant_id == turn.person.customer_tenant_id
    )
    return ticket if mine else None


async def thread_ticket(turn: Turn) -> Ticket | None:
    """The ticket whose channel thread this message was posted in."""
    conversation_id = turn.activity.conversation.id or ""
    if ";messageid=" not in conversation_id:
        return None
    return await turn.services.desk.ticket_of_thread(conversation_id.split(";messageid=", 1)[1])


async def technician_view(turn: Turn, ticket: Ticket, with_history: bool = False) -> dict[str, Any]:
    """The triage card as a technician sees it (actions), optionally with the ticket's history."""
    audience = await audience_for(turn, ticket)
    now = turn.services.clock()
    blocks = await escalation_blocks(turn, ticket)
    card = technician_card(turn.t, ticket, now, audience, blocks, viewer=turn.person.aad_id)
    if not with_history:
        return card
    # The history gets what the card leaves of Teams' message size (a long description of emoji or CJK text
    # takes three or four bytes a character).
    budget = MAX_CARD_BYTES - card_size(card) - HISTORY_MARGIN
    extra = history_block(turn.t, await turn.services.desk.history(ticket.id), budget=max(budget, 0))
    return technician_card(turn.t, ticket, now, audience, blocks + extra, viewer=turn.person.aad_id)


async def escalation_blocks(turn: Turn, ticket: Ticket) -> list[dict[str, Any]]:
    """Microsoft's response clock once the ticket has a service request; before that, while it is open, where
    its escalation should go by product."""
    services = turn.services
    if ticket.sr_id:
        clock = await services.desk.sr_clock(ticket.id, ticket.sr_id)
        return response_clock_block(turn.t, clock, services.clock(), services.settings.ms_response_targets)
    if not ticket.is_open:
        return []
    tenant = ticket.requester.tenant_id
    return guidance_block(turn.t, guidance_for(ticket.fields.product, services.settings.cloud, tenant))
