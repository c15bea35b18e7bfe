"""Triage routes on cards: the `routes` list with a Remove button per route, the Move form on a technician's card,
the old card of a moved ticket, and the words that name a route or a triage channel."""

from __future__ import annotations

from typing import Any

from cards.actions import execute
from cards.format import Translate
from cards.inputs import choice_input
from cards.messages import message_card
from desk.directory_service import TriageContext
from desk.routing import Route, RouteKind
from desk.tickets import Ticket

REMOVE_VERB = "route.remove"
MOVE_VERB = "ticket.move"
MOVE_INPUT = "triage_channel"


def describe_route(t: Translate, route: Route) -> str:
    """What a route takes, in words: a customer's name, a product, critical tickets."""
    if route.kind is RouteKind.CUSTOMER:
        return route.label
    if route.kind is RouteKind.PRODUCT:
        return t(f"route.product.{route.value}")
    return t("route.critical")


def channel_label(t: Translate, context: TriageContext, key: str) -> str:
    """A triage channel's name as Teams gave it; else "the <what its routes take> channel" (or the default one)."""
    routes = [route for route in context.routes if route.channel_key == key]
    named = next((route.channel_name for route in routes if route.channel_name), None)
    is_default = context.channel is not None and context.channel.key == key
    if is_default and context.default_name:
        return context.default_name
    if named:
        return named
    if is_default or not routes:
        return t("route.default_channel")
    return t("route.channel_of", what=", ".join(describe_route(t, route) for route in routes))


def routes_card(t: Translate, context: TriageContext, note: str | None = None) -> dict[str, Any]:
    """Every route (most specific first) with its channel and a Remove button, and where the rest go."""
    body: list[dict[str, Any]] = []
    if note:
        body.append(_line(note, subtle=True))
    for route in context.routes:
        line = t("route.line", what=describe_route(t, route), channel=channel_label(t, context, route.channel_key))
        remove = execute(t("route.remove"), REMOVE_VERB, route.id, with_inputs=False)
        body.append(
            {
                "type": "ColumnSet",
                "spacing": "Small",
                "columns": [
                    {"type": "Column", "width": "stretch", "items": [_line(line)]},
                    {"type": "Column", "width": "auto", "items": [{"type": "ActionSet", "actions": [remove]}]},
                ],
            }
        )
    if not context.routes:
        body.append(_line(t("route.none"), subtle=True))
    rest = channel_label(t, context, context.channel.key) if context.channel else None
    body.append(_line(t("route.rest", channel=rest) if rest else t("route.no_default"), subtle=True))
    body.append(_line(t("route.precedence"), subtle=True))
    return message_card(t("route.heading", count=len(context.routes)), extra=body)


def move_action(t: Translate, ticket: Ticket, context: TriageContext, current: str | None) -> dict[str, Any] | None:
    """The Move form: the triage channels other than the one the card is in (None when there are none)."""
    options = [(key, channel_label(t, context, key)) for key in context.channel_keys() if key != current]
    if not options or ticket.triage_activity_id is None:
        return None
    body = [
        choice_input(MOVE_INPUT, t("route.move_label"), options, {}, t("route.move_pick")),
        {"type": "ActionSet", "actions": [execute(t("route.move_confirm"), MOVE_VERB, ticket.number)]},
    ]
    return {"type": "Action.ShowCard", "title": t("route.move"), "card": {"type": "AdaptiveCard", "body": body}}


def moved_card(t: Translate, ticket: Ticket, channel: str, actor: str) -> dict[str, Any]:
    """What the card of a moved ticket becomes in the channel it left (no refresh: no actions here any more)."""
    heading = t("route.moved_heading", number=ticket.number, title=ticket.fields.title)
    return message_card(heading, t("route.moved", channel=channel, actor=actor))


def _line(text: str, subtle: bool = False) -> dict[str, Any]:
    run: dict[str, Any] = {"type": "TextRun", "text": text}
    if subtle:
        run["isSubtle"] = True
    return {"type": "RichTextBlock", "inlines": [run]}
