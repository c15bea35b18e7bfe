"""Every card the builders can produce is a valid Adaptive Card 1.5 within Teams' size limit, in every locale."""

from __future__ import annotations

import json

import pytest

from cards.messages import message_card
from cards.queue import queue_card
from cards.triage import triage_card
from cards.triage_actions import assignment_actions, history_block, refresh_block, technician_actions
from desk.i18n import Translator
from desk.tickets import FIELDS, MESSAGE_LIMIT, Severity, Status
from tests.cards.examples import (
    EXAMPLES,
    LOCALES,
    NOW,
    REFRESH_IDS,
    TECHNICIANS,
    Example,
    make_event,
    make_fields,
    make_ticket,
)
from tests.cards.schema import assert_valid_card


@pytest.fixture(params=LOCALES)
def t(request: pytest.FixtureRequest) -> Translator:
    """The strings of one supported locale."""
    return Translator(request.param)


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.id for example in EXAMPLES])
def test_card_is_valid(t: Translator, example: Example) -> None:
    """The card validates against the pinned 1.5 schema and is below the size limit."""
    assert_valid_card(example.build(t))


def test_examples_cover_every_status_severity_and_form_error() -> None:
    """The examples above include each Status, each Severity, an error on each form field, every builder."""
    ids = {example.id for example in EXAMPLES}
    for status in Status:
        assert f"status-{status.value}-plain" in ids
        for severity in Severity:
            assert f"triage-{severity.value}-{status.value}-everything" in ids
    for field in FIELDS:
        assert f"form-{field}-required" in ids
    assert {"form-empty", "form-prefilled", "list-empty", "list-several", "offer-short"} <= ids
    assert {"queue-empty", "queue-several", "message-reply", "message-resolution", "message-history"} <= ids
    assert {f"welcome-{role}-{kind}" for role in ("customer", "technician") for kind in ("full", "bare")} <= ids


# The biggest cards the builders can make must still fit in MAX_CARD_BYTES (render raises CardTooLarge otherwise).


def test_queue_of_25_tickets_with_cjk_titles_fits() -> None:
    """The queue command shows up to 25 tickets; titles in Japanese (3 bytes a character) must still fit."""
    t = Translator("en-US")
    ticket = make_ticket(fields=make_fields(title="日本語の件名" * 20), assignee_name="Alex Wilber")
    assert_valid_card(queue_card(t, t("queue.heading", count=25), [ticket] * 25, NOW))


def test_technician_view_with_history_of_long_replies_fits() -> None:
    """The `ticket` command's view: triage card, actions and the last 15 events, six of them long replies."""
    t = Translator("en-US")
    ticket = make_ticket()
    events = [make_event("reply", minutes, text="x" * MESSAGE_LIMIT) for minutes in range(6)]
    card = triage_card(
        t,
        ticket,
        NOW,
        technician_actions(t, ticket),
        refresh_block(ticket, REFRESH_IDS),
        history_block(t, events),
        assignment_actions(t, ticket, TECHNICIANS, "tech-3"),
    )
    assert_valid_card(card)


def test_history_command_of_100_short_notes_fits() -> None:
    """The `history` command shows up to 100 events; a hundred 200-character notes must still fit."""
    t = Translator("en-US")
    events = [make_event("note", minutes, text="x" * 200) for minutes in range(100)]
    assert_valid_card(message_card(t("history.title", number="T-1007"), extra=history_block(t, events, limit=100)))


def test_history_keeps_the_newest_events_when_it_must_shorten() -> None:
    """A long history shows its newest events and says how many older ones are hidden."""
    t = Translator("en-US")
    events = [make_event("note", minutes, text=f"note {minutes} " + "x" * 400) for minutes in range(100)]
    block = history_block(t, events, limit=100)
    text = json.dumps(block, ensure_ascii=False)
    assert "note 99 " in text and "note 0 " not in text
    hidden = next(item["text"] for item in block[0]["items"] if "older events" in item.get("text", ""))
    shown = sum(1 for item in block[0]["items"] if item["type"] == "RichTextBlock")
    assert hidden == f"({100 - shown} older events not shown)"


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.id for example in EXAMPLES])
def test_every_input_has_a_label_and_every_required_one_an_error_message(t: Translator, example: Example) -> None:
    """Cards are for everyone: screen readers read the label; the error says what a required input needs."""
    found = [node for node in _nodes(example.build(t)) if str(node.get("type", "")).startswith("Input.")]
    assert [n["id"] for n in found if not str(n.get("label", "")).strip()] == []
    assert [n["id"] for n in found if n.get("isRequired") and not str(n.get("errorMessage", "")).strip()] == []


def _nodes(card: object) -> list[dict]:
    """Every object in a card, wherever it sits (body, ShowCards, actions)."""
    if isinstance(card, dict):
        return [card, *(node for value in card.values() for node in _nodes(value))]
    if isinstance(card, list):
        return [node for value in card for node in _nodes(value)]
    return []
