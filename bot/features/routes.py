"""Several triage channels: `triage here for <customer | product | critical>` adds a route, `routes` lists them with
a Remove button each, and a technician moves a ticket's card to another triage channel from the card (Move).
Which channel a new ticket goes to is decided desk-side (desk/routing.py `route_for`)."""

from __future__ import annotations

import logging

from bot.features.notices import triage_post
from bot.features.tickets import actor_of, find_ticket, refusal
from bot.features.triage import learn_technicians, post_waiting
from bot.turns.actions import ActionResult, ActionRouter, CardAction
from bot.turns.commands import CommandRouter
from bot.turns.conversations import CHANNEL, GROUP, PERSONAL, channel_name, record_of
from bot.turns.turn import Turn
from cards.messages import thread_card
from cards.render import card_message
from cards.routes import MOVE_INPUT, MOVE_VERB, REMOVE_VERB, channel_label, describe_route, moved_card, routes_card
from desk.health import match_customers
from desk.i18n import Translator
from desk.outbox import Card, Operation, Outgoing
from desk.people import Role
from desk.routing import RouteKind, RouteTarget, inside_a_word, keyword_target
from desk.routing_service import Move
from desk.workflow import Refused

logger = logging.getLogger(__name__)

TECHNICIANS = (Role.TECHNICIAN,)
ANYWHERE = (PERSONAL, CHANNEL, GROUP)


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register the route commands and the Remove and Move buttons."""
    commands.add(
        "triage here for",
        add_route,
        roles=TECHNICIANS,
        scopes=(CHANNEL,),
        help_key="command.triage_here_for",
        usage="fabrikam | azure | critical",
    )
    commands.add("triage here for", elsewhere, roles=TECHNICIANS, scopes=(PERSONAL, GROUP), help_key="")
    commands.add("routes", list_routes, roles=TECHNICIANS, scopes=ANYWHERE, help_key="command.routes")
    actions.add(REMOVE_VERB, remove_route, roles=TECHNICIANS)
    actions.add(MOVE_VERB, move, roles=TECHNICIANS)


async def add_route(turn: Turn, args: str) -> None:
    """Send the tickets of a customer, a product or critical tickets to this channel. The words must name exactly
    one: a product or `critical` (the whole argument), else one known customer; otherwise nothing changes."""
    target = keyword_target(args) if args.strip() else None
    if target is None:
        target = await _customer_target(turn, args)
    if target is None:
        return
    channel = record_of(turn.activity)
    route = await turn.services.desk.add_route(target, channel, channel_name(turn.activity), turn.person.name)
    await learn_technicians(turn)
    context = await turn.services.desk.triage_context()
    where = channel_label(turn.t, context, route.channel_key)
    await turn.say(turn.t("route.added", what=describe_route(turn.t, route), channel=where))
    await post_waiting(turn)


async def _customer_target(turn: Turn, words: str) -> RouteTarget | None:
    """The one customer `words` name (as `admin <customer>` matches names); says why not and returns None."""
    if not words.strip():
        await turn.say(turn.t("route.usage"))
        return None
    try:
        customers = await turn.services.customers.all()
    except Exception:
        logger.exception("could not list customers for a route")
        await turn.say(turn.t("customers.unavailable"))
        return None
    # As `admin <customer>` matches them, but never by a piece inside a word: a route is kept, so "wind" must not
    # quietly name Northwind.
    found = [customer for customer in match_customers(words, customers) if not inside_a_word(words, customer)]
    if not found:
        await turn.say(turn.t("route.unknown"))  # the words are not quoted back: Teams renders Markdown
        return None
    if len(found) > 1:
        await turn.say(turn.t("health.several_customers", names=", ".join(c.name for c in found[:8])))
        return None
    return RouteTarget(RouteKind.CUSTOMER, found[0].tenant_id.lower(), found[0].name)


async def elsewhere(turn: Turn, _: str) -> None:
    """`triage here for …` outside a channel."""
    await turn.say(turn.t("triage.channel_only"))


async def list_routes(turn: Turn, _: str) -> None:
    """`routes`: every route with its channel and a Remove button."""
    await turn.show(routes_card(turn.t, await turn.services.desk.triage_context()))


async def remove_route(turn: Turn, action: CardAction) -> ActionResult:
    """A route's Remove button: reloaded by id (already gone: said so); the list is shown again."""
    removed = await turn.services.desk.remove_route(action.target)
    context = await turn.services.desk.triage_context()
    if removed is None:
        return ActionResult(card=routes_card(turn.t, context, turn.t("route.gone")))
    note = turn.t("route.removed", what=describe_route(turn.t, removed), actor=turn.person.name)
    return ActionResult(card=routes_card(turn.t, context, note))


async def move(turn: Turn, action: CardAction) -> ActionResult:
    """The card's Move: post the ticket's card in the chosen triage channel (checked against the stored routes), and
    turn the old card into a note of where it went."""
    ticket = await find_ticket(turn, action.target)
    if ticket is None:
        return ActionResult(message=turn.t("refusal.no_such_ticket"), refused=True)
    now, actor = turn.services.clock(), actor_of(turn)

    def messages(move: Move) -> list[Outgoing]:
        moving, context = move.ticket, move.context
        t_old, t_new = Translator(move.origin.locale), Translator(move.target.locale)
        old_card = moved_card(t_old, moving, channel_label(t_old, context, move.target.key), actor.name)
        note = t_new("route.moved_here", channel=channel_label(t_new, context, move.origin.key), actor=actor.name)
        return [
            Outgoing(
                move.origin.key,
                Operation.UPDATE,
                card_message(old_card),
                moving.id,
                target_activity_id=moving.triage_activity_id,
                thread_id=moving.triage_activity_id,
            ),
            triage_post(move.target, moving, now, context.refresh_ids),
            Outgoing(move.target.key, Operation.REPLY, card_message(thread_card(note)), moving.id, Card.TRIAGE),
        ]

    try:
        moved = await turn.services.desk.move_ticket(ticket.id, action.inputs.get(MOVE_INPUT, ""), actor, messages)
    except Refused as refused:
        return ActionResult(message=refusal(turn, refused), refused=True)
    where = channel_label(turn.t, moved.context, moved.target.key)
    return ActionResult(card=moved_card(turn.t, moved.ticket, where, actor.name))
