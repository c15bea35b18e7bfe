"""Technicians working a ticket from its triage card: assign, severity, status, reply, note, resolve, reopen.
Every action reloads the ticket; the workflow checks the actor's role and the ticket's state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.features.tickets import apply_change, find_ticket, refusal, technician_view
from bot.turns.actions import ActionResult, ActionRouter, CardAction
from bot.turns.commands import CommandRouter
from bot.turns.turn import Turn
from cards.triage_actions import REFRESH_VERB
from desk.people import Role
from desk.tickets import Severity, Status
from desk.workflow import AssignTo, Change, Note, Refused, Reopen, Reply, Resolve, SetSeverity, SetStatus

TECHNICIANS = (Role.TECHNICIAN,)
ChangeFor = Callable[[Turn, CardAction], Awaitable[Change]]
# How long a technician's click waits for the card update everyone gets to go out first (Teams wants an invoke
# answered within a few seconds; a local or healthy connector takes milliseconds). The invoke model:
# https://learn.microsoft.com/en-us/microsoftteams/platform/task-modules-and-cards/cards/universal-actions-for-adaptive-cards/work-with-universal-actions-for-adaptive-cards
EVERYONE_FIRST_SECONDS = 1.5


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register the triage card's verbs."""
    actions.add(REFRESH_VERB, refresh, roles=TECHNICIANS)
    actions.add("ticket.show", show, roles=TECHNICIANS)
    for verb, change_for in VERBS.items():
        actions.add(verb, _acting(change_for), roles=TECHNICIANS)


async def refresh(turn: Turn, action: CardAction) -> ActionResult:
    """Teams asks for the card on behalf of a listed technician: answer with the actions. Anyone else keeps the
    read-only card everyone was sent (the role check refuses them before this runs)."""
    ticket = await find_ticket(turn, action.target)
    if ticket is None:
        return ActionResult(message=turn.t("refusal.no_such_ticket"), refused=True)
    return ActionResult(card=await technician_view(turn, ticket))


async def show(turn: Turn, action: CardAction) -> ActionResult:
    """Open a ticket's full card (from a queue or search row) as a new message."""
    ticket = await find_ticket(turn, action.target)
    if ticket is None:
        return ActionResult(message=turn.t("refusal.no_such_ticket"), refused=True)
    await turn.show(await technician_view(turn, ticket, with_history=True))
    return ActionResult()


def _acting(change_for: ChangeFor):  # type: ignore[no-untyped-def]
    async def handler(turn: Turn, action: CardAction) -> ActionResult:
        ticket = await find_ticket(turn, action.target)
        if ticket is None:
            return ActionResult(message=turn.t("refusal.no_such_ticket"), refused=True)
        try:
            change = await change_for(turn, action)
            updated = await apply_change(turn, ticket, change)
        except Refused as refused:
            return ActionResult(message=refusal(turn, refused), refused=True)
        await _everyone_first(turn, updated.id)
        return ActionResult(card=await technician_view(turn, updated))

    return handler


async def _everyone_first(turn: Turn, ticket_id: int) -> None:
    """Let the card update everyone gets go out before the actor's own view is returned: a client shows the last
    card it received, and one that does not refresh cards per user (the Agents Playground; Teams refreshes for the
    listed technicians) would otherwise show the actor the collapsed card. The sender delivers it as usual; the
    actor waits for that at most EVERYONE_FIRST_SECONDS."""
    await turn.services.sender.card_updated(ticket_id, EVERYONE_FIRST_SECONDS)


async def _assign_me(turn: Turn, action: CardAction) -> Change:
    return AssignTo(turn.person.aad_id, turn.person.name)


async def _assign(turn: Turn, action: CardAction) -> Change:
    chosen = action.inputs.get("assignee", "").lower()
    allowed = turn.services.settings.technicians
    match = next((t for t in await turn.services.desk.technicians() if t.aad_id == chosen), None)
    if match is None or (allowed and chosen not in allowed):
        raise Refused("refusal.unknown_technician")
    return AssignTo(match.aad_id, match.name)


async def _severity(turn: Turn, action: CardAction) -> Change:
    try:
        return SetSeverity(Severity(action.inputs.get("new_severity", "")))
    except ValueError:
        raise Refused("form.error.invalid_choice") from None


async def _status(turn: Turn, action: CardAction) -> Change:
    try:
        return SetStatus(Status(action.inputs.get("new_status", "")))
    except ValueError:
        raise Refused("form.error.invalid_choice") from None


async def _reply(turn: Turn, action: CardAction) -> Change:
    return Reply(action.inputs.get("reply_text", ""))


async def _note(turn: Turn, action: CardAction) -> Change:
    return Note(action.inputs.get("note_text", ""))


async def _resolve(turn: Turn, action: CardAction) -> Change:
    return Resolve(action.inputs.get("resolution", ""))


async def _reopen(turn: Turn, action: CardAction) -> Change:
    return Reopen()


VERBS: dict[str, ChangeFor] = {
    "ticket.assign_me": _assign_me,
    "ticket.assign": _assign,
    "ticket.severity": _severity,
    "ticket.status": _status,
    "ticket.reply": _reply,
    "ticket.note": _note,
    "ticket.resolve": _resolve,
    "ticket.reopen": _reopen,
}
