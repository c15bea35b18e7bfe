"""Typed text (the customer's above all) renders literally: exactly as typed, in a TextRun, never as Markdown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest

from cards.messages import message_card, reply_card, resolution_card, thanks_card, thread_card
from cards.queue import queue_card
from cards.tickets import offer_card, status_card, ticket_form, ticket_list
from cards.triage import triage_card
from cards.triage_actions import history_block
from desk.i18n import Translator
from tests.cards.examples import FORM_VALUES, NOW, REQUESTER, make_event, make_fields, make_ticket
from tests.cards.schema import assert_valid_card
from tests.cards.walk import strings

HOSTILE = {
    "double-quotes": 'He said "stop" and "left"',
    "backslashes": 'C:\\Users\\megan\\new\\table \\" \\\\',
    "newlines": "line one\nline two\r\n\ttabbed line\n",
    "template-binding": "${title}",
    "template-expression": "${=1+1}",
    "date-function": "{{DATE(2017-02-14T06:08:39Z, SHORT)}}",
    "jinja": "{{ 7*7 }} {% if true %}yes{% endif %} {# note #}",
    "markdown-link": "[click](https://evil.example)",
    "markdown-bold": "**bold** _italic_ - list\n1. item",
    "html": "<b>html</b> &amp; <a href='https://evil.example'>x</a>",
    "script-close": "</script><script>alert(1)</script>",
    "json-fragment": '", "color": "attention", "x": "',
    "json-object": '{"type": "Action.OpenUrl", "url": "https://evil.example"}',
    "unicode-mix": "Ünïcødé — 日本語 中文 Русский 🚀👩‍💻 e\u0301 \u202eevil\u202c zero\u200bwidth \ufeff",
    "control-characters": "\x1b[31mred\x1b[0m bell\x07 nul\x00",
}

Card = dict[str, Any]


@dataclass(frozen=True)
class Surface:
    """A typed field on one card: how to build the card around a value.

    `alone`: the value is a TextRun's whole text; otherwise the builder joins it with other words in one TextRun.
    """

    id: str
    build: Callable[[Translator, str], Card]
    alone: bool = True


def _triage(field: str) -> Callable[[Translator, str], Card]:
    def build(t: Translator, value: str) -> Card:
        return triage_card(t, make_ticket(fields=make_fields(**{field: value})), NOW)

    return build


def _triage_requester(attribute: str) -> Callable[[Translator, str], Card]:
    def build(t: Translator, value: str) -> Card:
        requester = replace(REQUESTER, **{attribute: value})
        # The store records the requester's name as the ticket's last editor when it is created.
        return triage_card(t, make_ticket(requester=requester, updated_by=requester.name), NOW)

    return build


def _status(field: str) -> Callable[[Translator, str], Card]:
    def build(t: Translator, value: str) -> Card:
        return status_card(t, make_ticket(fields=make_fields(**{field: value})), "Thanks.")

    return build


def _customer_wrote(t: Translator, name: str) -> str:
    """The thread heading announcing a customer's message (as bot/features/notices.py builds it)."""
    return t("thread.customer_message", actor=name)


def _history(t: Translator, text: str = "Is there any news?", actor: str = REQUESTER.name) -> Card:
    """The history card with one customer message."""
    event = make_event("customer_message", text=text, actor=actor)
    return message_card(t("history.title", number="T-1007"), extra=history_block(t, [event]))


SURFACES = [
    Surface("status-title", _status("title")),
    Surface("status-service", _status("service")),
    Surface(
        "list-title",
        lambda t, value: ticket_list(t, "Your tickets", [make_ticket(fields=make_fields(title=value))], NOW),
    ),
    Surface("offer-quoted", lambda t, value: offer_card(t, "d1", value)),
    Surface("triage-title", _triage("title")),
    Surface("triage-description", _triage("description")),
    Surface("triage-service", _triage("service")),
    Surface("triage-contact", _triage("contact")),
    Surface("triage-requester-name", _triage_requester("name"), alone=False),
    Surface("triage-requester-email", _triage_requester("email"), alone=False),
    Surface("queue-title", lambda t, value: queue_card(t, "Open", [make_ticket(fields=make_fields(title=value))], NOW)),
    Surface("resolution-title", lambda t, value: resolution_card(t, make_ticket(fields=make_fields(title=value)))),
    Surface("thanks-title", lambda t, value: thanks_card(t, make_ticket(fields=make_fields(title=value)), "Thanks.")),
    # Technicians' text shown to the customer follows the same rule.
    Surface("resolution-summary", lambda t, value: resolution_card(t, make_ticket(resolution=value))),
    Surface("reply-text", lambda t, value: reply_card(t, make_ticket(), "Alex Wilber", "Contoso IT", value)),
    Surface("thread-customer-message", lambda t, value: thread_card(_customer_wrote(t, REQUESTER.name), value)),
    Surface("thread-customer-name", lambda t, value: thread_card(_customer_wrote(t, value), "Hello"), alone=False),
    Surface("history-text", lambda t, value: _history(t, text=value), alone=False),
    Surface("history-customer-name", lambda t, value: _history(t, actor=value), alone=False),
]
FORM_FIELDS = ("service", "title", "description", "contact")


@pytest.fixture
def t() -> Translator:
    """English strings."""
    return Translator("en-US")


def markdown_placements(card: Card, value: str) -> list[str]:
    """Every place where `value` sits inside text the host renders as Markdown."""
    return [str(placement) for placement in strings(card) if placement.renders_markdown and value in placement.text]


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("surface", SURFACES, ids=[surface.id for surface in SURFACES])
def test_card_with_hostile_text_is_valid(t: Translator, surface: Surface, value: str) -> None:
    """The card still renders to a valid Adaptive Card."""
    assert_valid_card(surface.build(t, value))


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("surface", SURFACES, ids=[surface.id for surface in SURFACES])
def test_hostile_text_is_the_text_of_a_text_run(t: Translator, surface: Surface, value: str) -> None:
    """The exact typed string is (or, for joined lines, is within) the text of a TextRun, which renders no Markdown."""
    card = surface.build(t, value)
    runs = [placement.text for placement in strings(card) if (placement.owner, placement.key) == ("TextRun", "text")]
    if surface.alone:
        assert value in runs, f"{value!r} is not the text of a TextRun; runs: {runs!r}"
    else:
        assert any(value in run for run in runs), f"{value!r} is in no TextRun; runs: {runs!r}"


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("surface", SURFACES, ids=[surface.id for surface in SURFACES])
def test_hostile_text_is_never_rendered_as_markdown(t: Translator, surface: Surface, value: str) -> None:
    """The typed string appears in no TextBlock text and no FactSet title or value."""
    assert markdown_placements(surface.build(t, value), value) == []


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("field", FORM_FIELDS)
def test_refused_form_shows_hostile_text_as_the_input_value(t: Translator, field: str, value: str) -> None:
    """A form shown again keeps the typed text as the input's value, and nowhere Markdown is rendered."""
    card = ticket_form(t, "d1", {**FORM_VALUES, field: value}, {"product": "invalid_choice"})
    assert_valid_card(card)
    inputs = {item["id"]: item for item in card["body"] if item["type"].startswith("Input.")}
    assert inputs[field]["type"] == "Input.Text"
    assert inputs[field]["value"] == value
    assert markdown_placements(card, value) == []
