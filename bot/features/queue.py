"""Technician commands: `queue`, `ticket T-1001`, `history T-1001`, `search <words>`, and `note`/`reply`
(typed in a ticket's thread, or with its number)."""

from __future__ import annotations

import logging
import uuid

from bot.features.sign_in_errors import NotSignedIn
from bot.features.tickets import apply_change, find_ticket, refusal, technician_view, thread_ticket
from bot.turns.actions import ActionResult, ActionRouter, CardAction
from bot.turns.commands import CommandRouter
from bot.turns.conversations import CHANNEL, GROUP, PERSONAL
from bot.turns.turn import Turn
from cards.echo import echoed
from cards.messages import message_card
from cards.queue import MORE_VERB, queue_card
from cards.triage_actions import history_block
from desk.people import Role
from desk.queue import Position, QueueQuery, next_token, parse_token, queue_query
from desk.tickets import Ticket, parse_ticket_number
from desk.workflow import Change, Note, Refused, Reply
from msapi.errors import MicrosoftApiError

logger = logging.getLogger(__name__)

TECHNICIANS = (Role.TECHNICIAN,)
ANYWHERE = (PERSONAL, CHANNEL, GROUP)


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register the technicians' commands."""
    actions.add(MORE_VERB, more, roles=TECHNICIANS)
    for phrase, handler, usage in (
        ("queue", queue, "mine | unassigned | critical | fabrikam"),
        ("ticket", ticket, "T-1001"),
        ("history", history, "T-1001"),
        ("search", search, "outlook fabrikam"),
        ("reply", reply, "T-1001 …"),
        ("note", note, "T-1001 …"),
    ):
        commands.add(phrase, handler, roles=TECHNICIANS, scopes=ANYWHERE, help_key=f"command.{phrase}", usage=usage)


async def queue(turn: Turn, args: str) -> None:
    """Open tickets, most urgent SLA first, filtered by the words given (desk/queue.py); the first page."""
    await _show_queue(turn, queue_query(args, turn.person.aad_id), None)


async def more(turn: Turn, action: CardAction) -> ActionResult:
    """The queue card's "show more": the next page, after the last row shown, asked again with the same words."""
    parsed = parse_token(action.target, turn.person.aad_id)
    if parsed is None:
        return ActionResult(message=turn.t("queue.stale"), refused=True)
    await _show_queue(turn, *parsed)
    return ActionResult()


async def _show_queue(turn: Turn, query: QueueQuery, after: Position | None) -> None:
    page = await turn.services.desk.queue_page(query, after)
    heading = turn.t("queue.heading", count=page.total)
    more_token = next_token(query, page.tickets[-1]) if page.more else None
    card = queue_card(turn.t, heading, page.tickets, turn.services.clock(), more_token)
    await turn.show(card)


async def ticket(turn: Turn, args: str) -> None:
    """The full triage card of a ticket, with its history."""
    found = await _ticket_from(turn, args)
    if found is not None:
        await turn.show(await technician_view(turn, found, with_history=True))


async def history(turn: Turn, args: str) -> None:
    """The audit log of a ticket."""
    found = await _ticket_from(turn, args)
    if found is None:
        return
    events = await turn.services.desk.history(found.id)
    card = message_card(turn.t("history.title", number=found.number), extra=history_block(turn.t, events, limit=100))
    await turn.show(card)


async def search(turn: Turn, args: str) -> None:
    """Tickets containing every word given."""
    words = args.split()
    if not words:
        await turn.say(turn.t("search.usage"))
        return
    found = await turn.services.desk.search(words)
    heading = turn.t("search.heading", count=len(found), words=echoed(args))  # never rendered as a link
    await turn.show(queue_card(turn.t, heading, found, turn.services.clock()))


async def reply(turn: Turn, args: str) -> None:
    """`reply [T-1001] <text>`: a message to the customer."""
    await _typed_change(turn, args, Reply)


async def note(turn: Turn, args: str) -> None:
    """`note [T-1001] <text>`: a private note."""
    await _typed_change(turn, args, Note)


async def _typed_change(turn: Turn, args: str, kind: type[Reply] | type[Note]) -> None:
    first, _, rest = args.partition(" ")
    target = await find_ticket(turn, first) if parse_ticket_number(first) else None
    text = rest if target is not None else args
    if target is None:
        target = await thread_ticket(turn)
    if target is None:
        await turn.say(turn.t("refusal.which_ticket"))
        return
    change: Change = kind(text)
    try:
        await apply_change(turn, target, change)
    except Refused as refused:
        await turn.say(refusal(turn, refused))
        return
    if kind is Reply:
        await turn.say(turn.t("reply.done", number=target.number))
    elif target.has_open_sr:
        await turn.say(await _note_on_service_request(turn, target, text))
    else:
        await turn.say(turn.t("note.done", number=target.number))


async def _note_on_service_request(turn: Turn, ticket: Ticket, text: str) -> str:
    """A note on an escalated ticket goes to Microsoft's service request too (with the technician's sign-in)."""
    services = turn.services
    try:
        if services.signins is None:
            raise NotSignedIn(turn.person.aad_id)
        token = await services.signins.token(turn.person.aad_id)
        await services.partner_center.add_note(token, ticket.sr_id or "", text.strip(), _note_request_id(turn, ticket))
    except NotSignedIn:
        return turn.t("note.not_on_sr", number=ticket.number, sr=ticket.sr_id)
    except MicrosoftApiError:
        logger.exception("adding a note to service request %s failed", ticket.sr_id)
        return turn.t("note.not_on_sr", number=ticket.number, sr=ticket.sr_id)
    return turn.t("note.done_sr", number=ticket.number, sr=ticket.sr_id)


def _note_request_id(turn: Turn, ticket: Ticket) -> str:
    """The note's MS-RequestId: the same on every delivery of the turn's activity, so a note that reached Microsoft
    before the turn died is not added again when Teams redelivers it (Partner Center keeps one request per id)."""
    if turn.delivery is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"partner-desk:sr-note:{turn.delivery.key}:{ticket.id}"))


async def _ticket_from(turn: Turn, args: str) -> Ticket | None:
    reference = args.split()[0] if args.split() else ""
    found = await find_ticket(turn, reference) if reference else await thread_ticket(turn)
    if found is None:
        await turn.say(turn.t("refusal.no_such_ticket"))
    return found
