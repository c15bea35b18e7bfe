"""Walk a card: every string and where it sits, every action (helper, not a test)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]

# Where text is rendered as Markdown: a TextBlock's text and a FactSet's titles and values.
MARKDOWN_SURFACES = frozenset({("TextBlock", "text"), ("FactSet.facts", "title"), ("FactSet.facts", "value")})


@dataclass(frozen=True)
class Placement:
    """One string in a card: the kind of object holding it (its `type`, or `<parent type>.<key>`), its key, its path."""

    owner: str
    key: str
    text: str
    path: Path

    @property
    def renders_markdown(self) -> bool:
        """Whether the host renders this string as Markdown."""
        return (self.owner, self.key) in MARKDOWN_SURFACES

    def __str__(self) -> str:
        where = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in self.path)
        return f"{self.owner}.{self.key} at ${where}: {self.text!r}"


def strings(card: Any) -> Iterator[Placement]:
    """Every string value in the card, with the object that holds it."""
    yield from _strings(card, "", "", ())


def _strings(value: Any, owner: str, key: str, path: Path) -> Iterator[Placement]:
    if isinstance(value, str):
        yield Placement(owner, key, value, path)
    elif isinstance(value, dict):
        # An object without a `type` (a Fact, a Choice, action data) is named after where it sits.
        kind = value.get("type") if isinstance(value.get("type"), str) else f"{owner}.{key}"
        for name, item in value.items():
            yield from _strings(item, kind, name, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, owner, key, (*path, index))


def actions(card: Any, path: Path = ()) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every action anywhere in the card (card and ActionSet actions, fallbacks, select and refresh actions)."""
    if isinstance(card, dict):
        kind = card.get("type")
        if isinstance(kind, str) and kind.startswith("Action."):
            yield path, card
        for name, item in card.items():
            yield from actions(item, (*path, name))
    elif isinstance(card, list):
        for index, item in enumerate(card):
            yield from actions(item, (*path, index))
