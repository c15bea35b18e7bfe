"""Card buttons carry a verb and an id, nothing else; Action.Execute falls back to an equal Action.Submit."""

from __future__ import annotations

from typing import Any

import pytest

from cards.actions import execute
from desk.i18n import Translator
from tests.cards.examples import EXAMPLES, Example
from tests.cards.schema import assert_valid_card
from tests.cards.walk import actions

ALLOWED_KEYS = {"verb", "id"}


@pytest.mark.parametrize(
    ("verb", "target", "style"),
    [
        ("tickets.mine", "", None),
        ("ticket.submit", "d-42", "positive"),
        ("ticket.show", 1001, None),
        ("ticket.close", "T-1001", "destructive"),
    ],
)
def test_execute_carries_exactly_a_verb_and_an_id(verb: str, target: str | int, style: str | None) -> None:
    """`execute` puts exactly `verb` and `id` (as text) in the data, with the action's own verb."""
    action = execute("Go", verb, target, style=style)
    assert action["type"] == "Action.Execute"
    assert action["verb"] == verb
    assert action["data"] == {"verb": verb, "id": str(target)}


@pytest.mark.parametrize("style", [None, "positive", "destructive"])
def test_execute_falls_back_to_an_equal_submit(style: str | None) -> None:
    """The fallback is an Action.Submit with the same title, data and style, itself a valid action."""
    action = execute("Submit ticket", "ticket.submit", "d-42", style=style)
    fallback = action["fallback"]
    assert fallback["type"] == "Action.Submit"
    assert fallback["data"] == action["data"]
    assert fallback["title"] == action["title"]
    assert fallback.get("style") == action.get("style") == style
    # The schema accepts any object as a fallback, so validate the fallback as an action of its own.
    assert_valid_card({"type": "AdaptiveCard", "version": "1.5", "actions": [fallback]})


@pytest.fixture
def t() -> Translator:
    """English strings."""
    return Translator("en-US")


def where(path: tuple[str | int, ...]) -> str:
    """A JSON path for messages."""
    return "$" + "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.id for example in EXAMPLES])
def test_every_action_data_is_a_verb_and_an_id(t: Translator, example: Example) -> None:
    """In every card, each action's data (and its fallback's) has no keys but `verb` and `id`."""
    for path, action in actions(example.build(t)):
        if "data" in action:
            data: Any = action["data"]
            assert isinstance(data, dict), f"{where(path)}: data is {data!r}"
            assert set(data) <= ALLOWED_KEYS, f"{where(path)}: data keys {sorted(data)}"
        # Fallbacks are actions too, and `actions` yields them on their own; check the pairing here.
        if action["type"] == "Action.Execute" and isinstance(action.get("fallback"), dict):
            assert action["fallback"]["type"] == "Action.Submit", where(path)
            assert action["fallback"].get("data") == action.get("data"), where(path)


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.id for example in EXAMPLES])
def test_every_execute_names_its_own_verb_in_its_data(t: Translator, example: Example) -> None:
    """An Action.Execute's data repeats its verb, so the Submit fallback reaches the same handler."""
    for path, action in actions(example.build(t)):
        if action["type"] == "Action.Execute" and "data" in action:
            assert action["data"].get("verb") == action["verb"], where(path)


def test_the_walk_finds_actions_everywhere(t: Translator) -> None:
    """The walk reaches card actions, fallbacks, ActionSets inside ShowCards and the refresh action."""
    found = {example.id: [(path, action["type"]) for path, action in actions(example.build(t))] for example in EXAMPLES}
    form = found["form-empty"]
    assert [kind for _, kind in form] == ["Action.Execute", "Action.Submit"]
    everything = found["triage-critical-new-everything"]
    paths = [where(path) for path, _ in everything]
    assert "$.refresh.action" in paths
    assert any(path.startswith("$.actions[") and ".card.body[" in path for path in paths)
    assert any(kind == "Action.ShowCard" for _, kind in everything)
    queue = found["queue-several"]
    assert any(".columns[" in where(path) for path, _ in queue)
