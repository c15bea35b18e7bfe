"""The card templates: every placeholder is JSON-encoded, nothing is left undefined, output is checked JSON."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from jinja2 import DictLoader, Environment, StrictUndefined
from jinja2.exceptions import UndefinedError

import cards.render
from cards.render import MAX_CARD_BYTES, CardTooLarge, render

TEMPLATES = sorted((Path(cards.render.__file__).parent / "templates").glob("*.json.j2"))
NAMES = [path.name.removesuffix(".json.j2") for path in TEMPLATES]
PLACEHOLDER = re.compile(r"\{\{-?(.*?)-?\}\}", re.DOTALL)
ENDS_IN_TOJSON = re.compile(r"\|\s*tojson\s*$")


def placeholders(path: Path) -> list[tuple[int, str]]:
    """Every `{{ ... }}` expression of a template, with the line it starts on."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, match.start()) + 1, match.group(1).strip()) for match in PLACEHOLDER.finditer(text)]


def test_templates_exist() -> None:
    """The scan below looks at the real templates (at least one per card builder module)."""
    assert {"offer", "ticket_form", "ticket_list", "ticket_status", "triage_card", "welcome"} <= set(NAMES)


@pytest.mark.parametrize("path", TEMPLATES, ids=NAMES)
def test_every_placeholder_ends_in_tojson(path: Path) -> None:
    """Each `{{ ... }}` is JSON-encoded by `| tojson`, so no value can break out of its JSON string."""
    found = placeholders(path)
    assert found, f"{path.name} has no placeholders"
    bad = [
        f"{path.name}:{line}: {{{{ {expression} }}}}"
        for line, expression in found
        if not ENDS_IN_TOJSON.search(expression)
    ]
    assert bad == [], "placeholders without | tojson:\n" + "\n".join(bad)


@pytest.mark.parametrize("name", NAMES)
def test_missing_variable_raises(name: str) -> None:
    """Rendering with no variables at all raises instead of producing a card with blanks."""
    with pytest.raises(UndefinedError):
        render(name)


def test_one_missing_variable_raises() -> None:
    """A single variable missing in the middle of a template raises too (StrictUndefined, not just the first)."""
    with pytest.raises(UndefinedError, match="quoted"):
        render("offer", question="Open a ticket?", actions=[])


def test_missing_attribute_of_a_row_raises() -> None:
    """An item of a loop lacking an attribute the template reads raises."""
    with pytest.raises(UndefinedError, match="title"):
        render(
            "ticket_list", heading="Your tickets", rows=[{"number": "T-1001", "detail": "New"}], empty="", actions=[]
        )


def strict_environment(templates: dict[str, str]) -> Environment:
    """An environment configured like the real one, over in-memory templates."""
    return Environment(loader=DictLoader(templates), undefined=StrictUndefined, autoescape=False)


def test_output_that_is_not_json_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    """`render` parses what the template produced; a template emitting broken JSON fails at render time."""
    broken = {"broken.json.j2": '{"type": "AdaptiveCard", "body": [{{ block | tojson }},], }'}
    monkeypatch.setattr(cards.render, "environment", lambda: strict_environment(broken))
    with pytest.raises(json.JSONDecodeError):
        render("broken", block={"type": "TextBlock", "text": "Hi"})


def test_placeholder_without_tojson_is_unsafe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the tojson rule exists: a bare placeholder inside a JSON string lets typed text end that string.

    A stray quote gives broken JSON, which `render` refuses; a crafted fragment gives valid JSON with an injected
    property, which no parsing can notice - only the rule above prevents it.
    """
    unsafe = {"unsafe.json.j2": '{"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "{{ text }}"}]}'}
    monkeypatch.setattr(cards.render, "environment", lambda: strict_environment(unsafe))
    with pytest.raises(json.JSONDecodeError):
        render("unsafe", text='say "hi"')
    injected = render("unsafe", text='", "color": "attention", "x": "')
    assert injected["body"][0]["color"] == "attention"


def test_card_above_the_size_limit_raises() -> None:
    """A rendered card above MAX_CARD_BYTES raises CardTooLarge."""
    with pytest.raises(CardTooLarge):
        render("offer", question="Open a ticket?", quoted="x" * MAX_CARD_BYTES, actions=[])


def test_size_limit_counts_utf8_bytes() -> None:
    """The limit is in bytes: fewer characters than the limit still raise when they encode to more bytes."""
    quoted = "я" * (MAX_CARD_BYTES // 2 + 100)
    assert len(quoted) < MAX_CARD_BYTES
    with pytest.raises(CardTooLarge):
        render("offer", question="Open a ticket?", quoted=quoted, actions=[])


def test_card_below_the_size_limit_renders() -> None:
    """A large card that still fits renders normally."""
    card = render("offer", question="Open a ticket?", quoted="x" * (MAX_CARD_BYTES - 1000), actions=[])
    assert card["body"][1]["items"][0]["inlines"][0]["text"] == "x" * (MAX_CARD_BYTES - 1000)


def test_a_template_is_read_from_disk_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Templates ship with the code: once compiled, a render does not ask the disk whether they changed (a `stat`
    per card otherwise, on every turn)."""
    render("offer", question="Open a ticket?", quoted="Mail is down", actions=[])
    asked: list[str] = []
    real_isfile, real_getmtime = os.path.isfile, os.path.getmtime

    def isfile(path: str) -> bool:
        asked.append(str(path))
        return real_isfile(path)

    def getmtime(path: str) -> float:
        asked.append(str(path))
        return real_getmtime(path)

    monkeypatch.setattr(os.path, "isfile", isfile)
    monkeypatch.setattr(os.path, "getmtime", getmtime)
    for _ in range(3):
        render("offer", question="Open a ticket?", quoted="Mail is down", actions=[])

    assert [path for path in asked if "templates" in path] == []
