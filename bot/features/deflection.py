"""The customer's answer to the answers offered before a ticket: "This solved it" records the deflection and no
ticket is opened; "I still need help" opens the ticket with everything typed so far: at once when the form was
complete (created once per form, however often it is clicked), else the form prefilled with it."""

from __future__ import annotations

from bot.features import intake
from bot.features.hours import after_hours_notice
from bot.features.kb import knowledge
from bot.turns.actions import ActionResult, ActionRouter, CardAction
from bot.turns.commands import CommandRouter
from bot.turns.conversations import PERSONAL
from bot.turns.turn import Turn
from cards.messages import message_card
from cards.tickets import ticket_form
from desk.people import Role
from desk.store.drafts import Draft
from desk.tickets import validate_fields

CUSTOMERS = (Role.CUSTOMER,)


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register the offer card's buttons."""
    actions.add("answer.solved", solved, roles=CUSTOMERS, scopes=(PERSONAL,))
    actions.add("answer.need_help", need_help, roles=CUSTOMERS, scopes=(PERSONAL,))


async def solved(turn: Turn, action: CardAction) -> ActionResult:
    """ "This solved it": counted as a deflection, unless a ticket was opened from that form meanwhile."""
    draft = await _draft_of_offer(turn, action.target)
    if draft is None:
        return ActionResult(message=turn.t("refusal.form_gone"), refused=True)
    if draft.ticket_id is not None or not await knowledge(turn.services).solved(action.target):
        return await _already_open(turn, draft)
    return ActionResult(card=message_card(turn.t("answers.thanks")))


async def need_help(turn: Turn, action: CardAction) -> ActionResult:
    """ "I still need help": the ticket, from the draft's fields (or its form, when the customer wrote a message and
    has not chosen the product and severity yet)."""
    draft = await _draft_of_offer(turn, action.target)
    if draft is None:
        return ActionResult(message=turn.t("refusal.form_gone"), refused=True)
    if draft.ticket_id is not None:
        return await _already_open(turn, draft)
    fields, _ = validate_fields(draft.fields)
    if fields is None:
        await knowledge(turn.services).needed_help(draft.id, None)  # the ticket is recorded when the form is sent
        return ActionResult(card=ticket_form(turn.t, draft.id, draft.fields))
    card_id = turn.activity.reply_to_id
    created = await intake.create_ticket(turn, fields, f"draft:{draft.id}", draft_id=draft.id, customer_card=card_id)
    await knowledge(turn.services).needed_help(draft.id, created.ticket.id)
    if created.new:
        await after_hours_notice(turn)
    return ActionResult(card=intake.created_card(turn.t, created))


async def _draft_of_offer(turn: Turn, offer_id: str) -> Draft | None:
    """The draft an offer was made for, if the offer is this customer's."""
    offer = await knowledge(turn.services).offered(offer_id)
    if offer is None or offer.requester_aad_id != turn.person.aad_id:
        return None
    if offer.tenant_id != turn.person.customer_tenant_id:
        return None
    draft = await turn.services.desk.draft(offer.draft_id)
    return draft if draft is not None and draft.owner_aad_id == turn.person.aad_id else None


async def _already_open(turn: Turn, draft: Draft) -> ActionResult:
    ticket = await turn.services.desk.ticket(draft.ticket_id) if draft.ticket_id else None
    number = ticket.number if ticket else "-"
    return ActionResult(message=turn.t("answers.already_open", number=number))
