"""Card actions routed by verb. Card data carries a verb and an id; everything else is re-read server-side."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.turns.turn import Turn
from desk.people import Role

RESERVED = frozenset({"verb", "id", "msteams"})


@dataclass(frozen=True)
class CardAction:
    """A button press: the verb, the id it concerns, and what the user typed into the card's inputs."""

    verb: str
    target: str
    inputs: dict[str, str] = field(default_factory=dict)
    universal: bool = True  # Action.Execute (invoke) rather than Action.Submit (message)


@dataclass(frozen=True)
class ActionResult:
    """What to answer: a card replacing the one clicked, and/or a short message."""

    card: dict[str, Any] | None = None
    message: str | None = None
    refused: bool = False


ActionHandler = Callable[[Turn, CardAction], Awaitable[ActionResult]]


@dataclass(frozen=True)
class Route:
    """A verb's handler, the roles allowed to use it, and the conversation scopes it works in (None: any)."""

    handler: ActionHandler
    roles: frozenset[Role]
    scopes: frozenset[str] | None = None


class ActionRouter:
    """Verb -> handler."""

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}

    def add(
        self, verb: str, handler: ActionHandler, *, roles: Iterable[Role], scopes: Iterable[str] | None = None
    ) -> None:
        """Route `verb` to `handler` for `roles`, in `scopes` only when given (personal, channel, group)."""
        if verb in self._routes:
            raise ValueError(f"verb {verb!r} registered twice")
        self._routes[verb] = Route(handler, frozenset(roles), frozenset(scopes) if scopes is not None else None)

    def route(self, verb: str) -> Route | None:
        """The route of a verb."""
        return self._routes.get(verb)

    @property
    def verbs(self) -> frozenset[str]:
        """Every routed verb."""
        return frozenset(self._routes)


def parse_action(value: Any, universal: bool) -> CardAction | None:
    """A CardAction from an invoke's `value.action` (universal) or a submit's `value`; None if malformed."""
    if not isinstance(value, Mapping):
        return None
    if universal:
        action = value.get("action")
        if not isinstance(action, Mapping) or action.get("type") != "Action.Execute":
            return None
        data = action.get("data") if isinstance(action.get("data"), Mapping) else {}
        verb = action.get("verb") or data.get("verb")
    else:
        data = value
        verb = value.get("verb")
    if not isinstance(verb, str) or not verb:
        return None
    target = data.get("id", "")
    inputs = {str(k): _text(v) for k, v in data.items() if k not in RESERVED}
    return CardAction(verb=verb, target=str(target) if target is not None else "", inputs=inputs, universal=universal)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))
