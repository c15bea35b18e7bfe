"""Card buttons. Their data is a verb and an id, nothing else: the server reloads state on every action."""

from __future__ import annotations

from typing import Any


def execute(
    title: str, verb: str, target_id: str | int = "", style: str | None = None, with_inputs: bool = True
) -> dict[str, Any]:
    """An Action.Execute (Universal Actions) that falls back to Action.Submit on older clients. With
    `with_inputs=False` the button sends (and validates) none of the card's inputs."""
    data = {"verb": verb, "id": str(target_id)}
    action: dict[str, Any] = {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": data,
        "fallback": {"type": "Action.Submit", "title": title, "data": data},
    }
    if style:
        action["style"] = style
        action["fallback"]["style"] = style
    if not with_inputs:
        action["associatedInputs"] = "none"
        action["fallback"]["associatedInputs"] = "none"
    return action


def open_url(title: str, url: str) -> dict[str, Any]:
    """A link button."""
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def choices(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Input.ChoiceSet choices from (value, title) pairs."""
    return [{"title": title, "value": value} for value, title in pairs]
