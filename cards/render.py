"""Rendering card templates safely: strict undefined variables, JSON-only interpolation, parsed before use."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Undefined

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
# Teams refuses messages above ~100 KB (older clients 40 KB); stay well inside the smaller limit.
MAX_CARD_BYTES = 28_000


class CardTooLarge(ValueError):
    """A rendered card would exceed what Teams accepts."""


@cache
def environment() -> Environment:
    """The one jinja2 environment for card templates."""
    env = Environment(
        loader=PackageLoader("cards", "templates"),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        # Templates ship with the code: compiled once, never checked against the disk again (a stat per card).
        auto_reload=False,
    )
    # `| tojson` would otherwise turn a missing variable into a TypeError that does not name it.
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "default": _undefined_is_an_error}
    return env


def _undefined_is_an_error(value: object) -> object:
    """json.dumps fallback: raise the UndefinedError naming the missing variable; refuse anything else."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def card_size(card: dict[str, Any]) -> int:
    """The card's size in bytes as JSON (UTF-8), as measured against MAX_CARD_BYTES."""
    return len(json.dumps(card, ensure_ascii=False).encode("utf-8"))


def render(template: str, **context: Any) -> dict[str, Any]:
    """Render `templates/<template>.json.j2` and parse it; raises on undefined variables or invalid JSON."""
    text = environment().get_template(f"{template}.json.j2").render(**context)
    card: dict[str, Any] = json.loads(text)
    size = card_size(card)
    if size > MAX_CARD_BYTES:
        raise CardTooLarge(f"card {template} is {size} bytes")
    return card


def attachment(card: dict[str, Any]) -> dict[str, Any]:
    """A Bot Framework attachment holding an Adaptive Card."""
    return {"contentType": CARD_CONTENT_TYPE, "content": card}


def card_message(card: dict[str, Any], summary: str = "") -> dict[str, Any]:
    """A message activity (as JSON) carrying one card; `summary` is the notification/preview text."""
    activity: dict[str, Any] = {"type": "message", "attachments": [attachment(card)]}
    if summary:
        activity["summary"] = summary
    return activity


def text_message(text: str) -> dict[str, Any]:
    """A plain-text message activity (as JSON)."""
    return {"type": "message", "text": text, "textFormat": "plain"}
