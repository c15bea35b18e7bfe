"""Customers following their tickets: messages added to the open ticket, `ticket T-1001`, and answering the
resolution (confirm, reject, rate)."""

from __future__ import annotations

import re

from bot.features import intake
from bot.features.hours import after_hours_notice
from bot.features.tickets import apply_change, find_ticket, refusal
from bot.turns.actions import ActionResult, ActionRouter, CardAction
from bot.turns.commands import CommandRouter
from bot.turns.conversations import PERSONAL, conversation_key
from bot.turns.turn import Turn
from cards.messages import thanks_card
from cards.tickets import status_card
from desk.people import Role
from desk.tickets import Ticket
from desk.workflow import Change, Confirm, CustomerMessage, Rate, Refused, Reject

CUSTOMERS = (Role.CUSTOMER,)


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register the customer's ticket command and resolution buttons."""
    commands.add(
        "ticket", show_ticket, roles=CUSTOMERS, scopes=(PERSONAL,), help_key="command.ticket_customer", usage="T-1001"
    )
    actions.add(
        "ticket.confirm", _answer(lambda _: Confirm(), "resolution.thanks_closed"), roles=CUSTOMERS, scopes=(PERSONAL,)
    )
    actions.add(
        "ticket.reject", _answer(lambda _: Reject(), "resolution.thanks_reopened"), roles=CUSTOMERS, scopes=(PERSONAL,)
    )
    actions.add("ticket.rate", _answer(_rating, "resolution.thanks_rating"), roles=CUSTOMERS, scopes=(PERSONAL,))


async def show_ticket(turn: Turn, args: str) -> None:
    """`ticket T-1001`: the customer's own ticket, nobody else's."""
    found = await find_ticket(turn, args.split()[0]) if args.split() else None
    if found is None:
        await turn.say(turn.t("refusal.not_yours"))
        return
    await turn.show(status_card(turn.t, found, turn.t(f"notice.status.{found.status.value}", number=found.number)))


async def customer_text(turn: Turn) -> None:
    """Free text from a customer: added to the ticket it answers (or their active ticket), else a new-ticket offer."""
    target, several = await _target(turn)
    if target is None:
        await intake.offer(turn)
        await after_hours_notice(turn)
        return
    try:
        await apply_change(turn, target, CustomerMessage(turn.text))
    except Refused as refused:
        await turn.say(refusal(turn, refused))
        return
    await turn.say(turn.t("message.added_several" if several else "message.added", number=target.number))
    await after_hours_notice(turn)


async def _target(turn: Turn) -> tuple[Ticket | None, bool]:
    desk = turn.services.desk
    reply_to = turn.activity.reply_to_id
    if reply_to:
        answered = await desk.ticket_of_message(conversation_key(turn.activity), reply_to)
        if answered is not None and answered.requester.aad_id == turn.person.aad_id:
            return answered, False
    active = await desk.active_tickets_of(turn.person.customer_tenant_id, turn.person.aad_id)
    return (active[0], len(active) > 1) if active else (None, False)


def _answer(change_for, thanks_key: str):  # type: ignore[no-untyped-def]
    async def handler(turn: Turn, action: CardAction) -> ActionResult:
        ticket = await find_ticket(turn, action.target)
        if ticket is None:
            return ActionResult(message=turn.t("refusal.not_yours"), refused=True)
        try:
            change: Change = change_for(action)
            updated = await apply_change(turn, ticket, change)
        except Refused as refused:
            return ActionResult(message=refusal(turn, refused), refused=True)
        return ActionResult(card=thanks_card(turn.t, updated, turn.t(thanks_key, number=updated.number)))

    return handler


def _rating(action: CardAction) -> Change:
    raw = action.inputs.get("rating", "")
    if not re.fullmatch(r"[1-5]", raw.strip()):
        raise Refused("refusal.bad_rating")
    return Rate(int(raw.strip()), action.inputs.get("rating_comment", ""))
