"""Customers raising tickets: the form, its submission (once), the free-text offer, and their own list."""

from __future__ import annotations

from typing import Any

from bot.features import answers
from bot.features.hours import after_hours_notice
from bot.features.incident_links import link_active_incidents
from bot.features.notices import triage_post
from bot.turns.actions import ActionResult, ActionRouter, CardAction
from bot.turns.commands import CommandRouter
from bot.turns.conversations import PERSONAL, conversation_key
from bot.turns.turn import Turn
from cards.format import card_time
from cards.tickets import offer_card, status_card, ticket_form, ticket_list
from desk.i18n import Translator
from desk.outbox import Outgoing
from desk.people import Role
from desk.service import Created
from desk.tickets import FIELDS, Requester, Severity, Ticket, TicketFields, validate_fields

CUSTOMERS = (Role.CUSTOMER,)
# Channels known to render Adaptive Cards; anything else gets the text dialog.
CARD_CHANNELS = frozenset({"msteams", "webchat", "directline", "emulator"})


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register the customer's ticket commands and buttons."""
    commands.add("new ticket", new_ticket, roles=CUSTOMERS, scopes=(PERSONAL,), help_key="command.new_ticket")
    commands.add("my tickets", my_tickets, roles=CUSTOMERS, scopes=(PERSONAL,), help_key="command.my_tickets")
    actions.add("ticket.new", new_ticket_action, roles=CUSTOMERS, scopes=(PERSONAL,))
    actions.add("ticket.submit", submit, roles=CUSTOMERS, scopes=(PERSONAL,))
    actions.add("ticket.from_draft", from_draft, roles=CUSTOMERS, scopes=(PERSONAL,))
    actions.add("tickets.mine", my_tickets_action, roles=CUSTOMERS, scopes=(PERSONAL,))


def cards_supported(turn: Turn) -> bool:
    """Whether the client renders Adaptive Cards."""
    return (turn.activity.channel_id or "").lower() in CARD_CHANNELS


async def new_ticket(turn: Turn, args: str) -> None:
    """`new ticket [title]`: the form (prefilled with the title), or the text dialog on text-only clients."""
    prefill = {"title": args[:120]} if args else {}
    if not cards_supported(turn):
        await turn.services.dialogs.begin_new_ticket(turn.context, prefill)
        return
    draft = await turn.services.desk.start_draft(turn.person, await _with_contact(turn, prefill))
    await turn.show(ticket_form(turn.t, draft.id, draft.fields), summary=turn.t("form.heading"))


async def new_ticket_action(turn: Turn, _: CardAction) -> ActionResult:
    """The New ticket button."""
    await new_ticket(turn, "")
    return ActionResult()


async def offer(turn: Turn) -> None:
    """Free text outside any dialog: offer to open a ticket with it."""
    text = turn.text.strip()
    first_line = text.splitlines()[0] if text else ""
    if not cards_supported(turn):
        await turn.services.dialogs.begin_new_ticket(
            turn.context, {"title": first_line[:120], "description": text[:4000]}
        )
        return
    fields = await _with_contact(turn, {"title": first_line[:120], "description": text[:4000]})
    draft = await turn.services.desk.start_draft(turn.person, fields)
    prepared = await answers.prepare(turn, draft.id, text)
    offered = await answers.offer_card_for(turn, prepared, text)  # matching answers first, when there are any
    await turn.show(offered or offer_card(turn.t, draft.id, text))


async def from_draft(turn: Turn, action: CardAction) -> ActionResult:
    """'Open a ticket with this': the form, prefilled from the saved draft (the text never rode in the card)."""
    draft = await turn.services.desk.draft(action.target)
    if draft is None or not _owns(turn, draft.owner_aad_id, draft.tenant_id):
        return ActionResult(message=turn.t("refusal.form_gone"), refused=True)
    return ActionResult(card=ticket_form(turn.t, draft.id, draft.fields))


async def submit(turn: Turn, action: CardAction) -> ActionResult:
    """Submit the form: validate, create the ticket exactly once per form, answer with its status card."""
    desk = turn.services.desk
    described = f"{action.inputs.get('title', '')}\n{action.inputs.get('description', '')}"
    prepared = await answers.prepare(turn, action.target, described)  # the draft, and the answers to offer
    draft = prepared.draft
    if draft is None or not _owns(turn, draft.owner_aad_id, draft.tenant_id):
        return ActionResult(message=turn.t("refusal.form_gone"), refused=True)
    if draft.ticket_id is not None:
        ticket = await desk.ticket(draft.ticket_id)
        if ticket is not None:
            return ActionResult(card=status_card(turn.t, ticket, turn.t("created.already", number=ticket.number)))
    typed = {name: action.inputs.get(name, "") for name in FIELDS}
    fields, errors = validate_fields(typed)
    if fields is None:
        await desk.keep_typed(draft.id, typed)
        return ActionResult(card=ticket_form(turn.t, draft.id, typed, errors))
    # Matching answers are offered before the ticket; a critical one is opened at once (an outage is not held up).
    if fields.severity is not Severity.CRITICAL:
        offered = await answers.offer_card_for(turn, prepared, described)
        if offered is not None:
            await desk.keep_typed(draft.id, typed)  # "I still need help" opens the ticket with it
            return ActionResult(card=offered)
    card_id = turn.activity.reply_to_id if turn.scope == PERSONAL else None
    created = await create_ticket(turn, fields, f"draft:{draft.id}", draft_id=draft.id, customer_card=card_id)
    await answers.settle(turn, prepared, created.ticket.id)
    if created.new:
        await after_hours_notice(turn)
        if fields.severity is Severity.CRITICAL:
            await answers.beside_critical(turn, created.ticket.number, prepared)
    return ActionResult(card=created_card(turn.t, created))


async def create_ticket(
    turn: Turn, fields: TicketFields, key: str, draft_id: str | None = None, customer_card: str | None = None
) -> Created:
    """Create the ticket (once per `key`) and queue its triage card in the same transaction."""
    services = turn.services
    person = turn.person
    assert person.customer is not None
    requester = Requester(
        tenant_id=person.customer_tenant_id,
        customer_name=person.customer.name,
        aad_id=person.aad_id,
        name=person.name,
        email=person.email or await turn.services.who.email(turn.context),
        conversation_key=conversation_key(turn.activity),
    )
    triage = await services.desk.triage_context()

    def notices(ticket: Ticket) -> list[Outgoing]:
        channel = triage.channel_for(ticket)  # the most specific route's channel, else the default one
        return [triage_post(channel, ticket, services.clock(), triage.refresh_ids)] if channel is not None else []

    created = await services.desk.create_ticket(
        key, requester, fields, notices, draft_id=draft_id, customer_card=customer_card
    )
    if created.new:
        services.spawner.spawn(link_active_incidents(services, created.ticket), f"incidents:{created.ticket.number}")
    return created


async def complete_dialog(turn: Turn, values: dict[str, str]) -> None:
    """The text dialog's answers: create the ticket (once per confirming message) and say its number."""
    fields, _ = validate_fields(values)
    if fields is None:
        await turn.say(turn.t("form.fix_problems"))
        return
    created = await create_ticket(turn, fields, f"dialog:{turn.activity.conversation.id}:{turn.activity.id}")
    ticket = created.ticket
    due = ticket.first_response_due.strftime("%Y-%m-%d %H:%M UTC") if ticket.first_response_due else "-"
    key = "created.message" if created.new else "created.already"
    await turn.say(turn.t(key, number=ticket.number, due=due))
    if created.new:
        await after_hours_notice(turn)


def created_card(t: Translator, created: Created) -> dict[str, Any]:
    """The customer's status card right after submitting (or re-submitting) a form."""
    ticket = created.ticket
    if not created.new:
        return status_card(t, ticket, t("created.already", number=ticket.number))
    due = card_time(ticket.first_response_due) if ticket.first_response_due else "-"
    return status_card(t, ticket, t("created.message", number=ticket.number, due=due))


async def my_tickets(turn: Turn, _: str) -> None:
    """`my tickets`: the customer's own tickets."""
    tickets = await turn.services.desk.tickets_of(turn.person.customer_tenant_id, turn.person.aad_id)
    await turn.show(ticket_list(turn.t, turn.t("list.mine"), tickets, turn.services.clock()))


async def my_tickets_action(turn: Turn, _: CardAction) -> ActionResult:
    """The My tickets button."""
    await my_tickets(turn, "")
    return ActionResult()


def _owns(turn: Turn, owner: str, tenant: str) -> bool:
    return owner == turn.person.aad_id and tenant == turn.person.customer_tenant_id


async def _with_contact(turn: Turn, fields: dict[str, str]) -> dict[str, str]:
    email = turn.person.email or await turn.services.who.email(turn.context)
    if email and "contact" not in fields:
        return {**fields, "contact": email}
    return fields
