"""One reply to every open ticket linked to a Microsoft incident: from the incident card's "Reply to all linked
tickets" button (and the storm summary's), or `bulk reply EX123456`. The form has its own id, stored with the
incident; its submit applies the ordinary Reply change to each open linked ticket through the desk's apply path
(recorded on the ticket, shown in its thread, told to its customer in their own chat, paced by the outbox), each
under the key bulk:<form id>:<ticket id>, so a retried or redelivered submit (or a double click) never sends twice."""

from __future__ import annotations

from dataclasses import replace

from bot.features.notices import Audience, announcer
from bot.features.tickets import actor_of, audience_for
from bot.turns.actions import ActionResult, ActionRouter, CardAction
from bot.turns.commands import CommandRouter
from bot.turns.conversations import CHANNEL, GROUP, PERSONAL
from bot.turns.turn import Turn
from cards.bulk_reply import SEND_VERB, TEXT_INPUT, bulk_reply_form
from cards.incident_controls import REPLY_ALL_VERB
from desk.changes import Reply
from desk.people import Role
from desk.tickets import MESSAGE_LIMIT, Ticket
from desk.workflow import Refused

TECHNICIANS = (Role.TECHNICIAN,)
ANYWHERE = (PERSONAL, CHANNEL, GROUP)
COMMAND = "bulk reply"


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register `bulk reply <incident id>` and the form's verbs."""
    commands.add(COMMAND, command, roles=TECHNICIANS, scopes=ANYWHERE, help_key="command.bulk_reply", usage="EX123456")
    actions.add(REPLY_ALL_VERB, open_form, roles=TECHNICIANS)
    actions.add(SEND_VERB, send, roles=TECHNICIANS)


async def command(turn: Turn, args: str) -> None:
    """`bulk reply <incident id>`: the form, or why not."""
    words = args.split()
    if len(words) != 1:
        await turn.say(turn.t("bulk.usage"))
        return
    problem = await _show_form(turn, words[0].upper())
    if problem:
        await turn.say(problem)


async def open_form(turn: Turn, action: CardAction) -> ActionResult:
    """The card's button: the form as a new message (the incident card stays as it is)."""
    problem = await _show_form(turn, action.target)
    return ActionResult(message=problem, refused=True) if problem else ActionResult()


async def _show_form(turn: Turn, incident_id: str) -> str | None:
    desk = turn.services.desk
    if await desk.incident_with_control(incident_id) is None:
        return turn.t("incident.refusal.unknown", id=incident_id)
    linked = await desk.linked_tickets(incident_id)
    still_open = [ticket for ticket in linked if ticket.is_open]
    if not still_open:
        return turn.t("bulk.none", id=incident_id)
    bulk_id = await desk.open_bulk_reply(incident_id, turn.person.aad_id)
    await turn.show(bulk_reply_form(turn.t, bulk_id, incident_id, len(still_open), len(linked) - len(still_open)))
    return None


async def send(turn: Turn, action: CardAction) -> ActionResult:
    """The form's submit: one Reply per open linked ticket, each at most once; then what was done."""
    desk = turn.services.desk
    bulk = await desk.bulk_reply(action.target)
    if bulk is None:
        return ActionResult(message=turn.t("bulk.unknown"), refused=True)
    if bulk.sent_at is not None:
        return ActionResult(message=_done(turn, bulk.customers, bulk.tickets, bulk.skipped, again=True))
    if bulk.expired(turn.services.clock()):
        return ActionResult(message=turn.t("bulk.expired", id=bulk.incident_id), refused=True)
    text = action.inputs.get(TEXT_INPUT, "").strip()
    if not text or len(text) > MESSAGE_LIMIT:
        return ActionResult(message=turn.t("bulk.required"), refused=True)
    linked = await desk.linked_tickets(bulk.incident_id)
    still_open = [ticket for ticket in linked if ticket.is_open]
    skipped = len(linked) - len(still_open)
    people: set[tuple[str, str]] = set()
    sent = 0
    if still_open:
        # The technicians and every channel these tickets' cards live in (routes put them in several), read once.
        routing = await desk.triage_context(still_open)
        shared = replace(await audience_for(turn, still_open[0]), routing=routing)
    for ticket in still_open:
        try:
            await _reply(turn, shared, ticket, text, f"bulk:{bulk.id}:{ticket.id}")
        except Refused:
            skipped += 1  # closed (or changed) since it was read: not this reply's to send
            continue
        sent += 1
        people.add((ticket.requester.tenant_id, ticket.requester.aad_id))
    await desk.finish_bulk_reply(bulk.id, text, len(people), sent, skipped)
    return ActionResult(message=_done(turn, len(people), sent, skipped))


async def _reply(turn: Turn, shared: Audience, ticket: Ticket, text: str, once: str) -> None:
    desk = turn.services.desk
    assert shared.routing is not None
    audience = replace(
        shared,
        triage=shared.routing.channel_for(ticket),  # the ticket's own channel: each card is in its route's
        customer=await desk.conversation(ticket.requester.conversation_key),
        incidents=await desk.incidents_of(ticket.id),
    )
    announce = announcer(audience, turn.services.clock())
    await desk.apply(ticket.id, actor_of(turn), Reply(text), announce, once=once)


def _done(turn: Turn, customers: int, tickets: int, skipped: int, again: bool = False) -> str:
    text = turn.t(
        "bulk.sent", customers=turn.t("bulk.customers", count=customers), tickets=turn.t("bulk.tickets", count=tickets)
    )
    if skipped:
        text += " " + turn.t("bulk.skipped", count=skipped)
    return turn.t("bulk.already", text=text) if again else text
