"""Each reader in their own language, at the HTTP level: a customer whose Teams speaks Russian gets Russian cards
and notices while the technicians' triage channel stays in the language it was set up in, and what people typed
is shown exactly as typed in both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.bot.helpers import (
    GOOD_TICKET,
    card_inputs,
    card_text,
    nodes,
    rows,
    set_triage_channel,
    submit_target,
    ticket_row,
)
from tests.support.activities import Channel, Chat

LOCALES = Path(__file__).resolve().parents[2] / "desk" / "locales"
EN: dict[str, str] = json.loads((LOCALES / "en.json").read_text(encoding="utf-8"))
RU: dict[str, str] = json.loads((LOCALES / "ru.json").read_text(encoding="utf-8"))
PARTNER = "Contoso Cloud Services"  # PARTNER_NAME in tests/support/harness.py
CARD = "application/vnd.microsoft.card.adaptive"
RUSSIAN = "ru-RU"

# Typed by a Russian-speaking customer: it must reach technicians and come back letter for letter.
TYPED = {
    **GOOD_TICKET,
    "service": "Exchange Online",
    "title": "Не уходит почта из Outlook «Лидс»",
    "description": "С 09:00 никто в офисе не может отправить письмо.\nОшибка 5.7.1 — {number} {0} <b>не HTML</b>",
    "contact": "megan@fabrikam.onmicrosoft.com, +44 113 496 0000",
}


def in_russian(activity: dict[str, Any]) -> dict[str, Any]:
    """The activity as a Teams client set to Russian sends it."""
    activity["locale"] = RUSSIAN
    return activity


def facts(card: dict[str, Any]) -> dict[str, str]:
    """Every FactSet row of a card, title -> value."""
    return {f["title"]: f["value"] for node in nodes(card) if node.get("type") == "FactSet" for f in node["facts"]}


def button_titles(card: dict[str, Any]) -> list[str]:
    """The titles of the card's top-level buttons."""
    return [action["title"] for action in card.get("actions", [])]


async def open_russian_form(desk, chat: Chat) -> tuple[str, dict[str, Any], str | None]:
    """A Russian customer types `new ticket`; returns (draft id, the form, the form's message id)."""
    status, _ = await desk.send(in_russian(chat.message("new ticket")))
    assert status == 201
    sent = desk.connector.posts(chat.conversation_id)[-1]
    return submit_target(sent.cards[0]), sent.cards[0], sent.response_id


async def raise_russian_ticket(desk, chat: Chat) -> dict[str, Any]:
    """The Russian customer submits the form with TYPED; returns the invoke's status card."""
    draft_id, _, form_id = await open_russian_form(desk, chat)
    status, body = await desk.send(in_russian(chat.invoke("ticket.submit", draft_id, TYPED, replyToId=form_id)))
    assert status == 200, body
    assert body["statusCode"] == 200 and body["type"] == CARD
    await desk.delivered()
    return body["value"]


def triage_posts(desk, channel: Channel) -> list[Any]:
    """The triage cards the bot started as new threads in the channel."""
    return [s for s in desk.connector.sent if s.path == "/v3/conversations" and s.cards]


def assert_no_russian_labels(text: str) -> None:
    """None of the Russian label words that would betray a Russian card leaked into an English one."""
    for key in ("triage.customer", "triage.status", "status.new", "severity.critical", "triage.description"):
        assert RU[key] not in text, f"{RU[key]!r} ({key}) in an English card"


async def test_help_shows_the_russian_welcome_card(desk, customer_chat):
    status, _ = await desk.send(in_russian(customer_chat.message("help")))

    assert status == 201
    sent = desk.connector.posts(customer_chat.conversation_id)[-1]
    card = sent.cards[0]
    assert card["body"][0]["text"] == RU["welcome.title"].format(partner=PARTNER)
    assert card["body"][1]["text"] == RU["welcome.intro_customer"].format(partner=PARTNER)
    assert RU["welcome.hours"] in facts(card)
    assert button_titles(card) == [RU["action.new_ticket"], RU["action.my_tickets"]]
    commands = facts(card)
    assert commands["new ticket"] == RU["command.new_ticket"], "command words stay English, their help is Russian"
    assert sent.body.get("summary") == RU["welcome.title"].format(partner=PARTNER)


async def test_help_in_english_is_unchanged(desk, customer_chat):
    await desk.send(customer_chat.message("help"))
    card = desk.connector.posts(customer_chat.conversation_id)[-1].cards[0]
    assert card["body"][0]["text"] == EN["welcome.title"].format(partner=PARTNER)
    assert button_titles(card) == [EN["action.new_ticket"], EN["action.my_tickets"]]


async def test_new_ticket_form_is_in_russian(desk, customer_chat):
    _, form, _ = await open_russian_form(desk, customer_chat)

    assert form["body"][0]["text"] == RU["form.heading"]
    inputs = card_inputs(form)
    labels = {name: inputs[name]["label"] for name in ("product", "service", "severity", "title", "description")}
    assert labels == {
        "product": RU["form.product"],
        "service": RU["form.service"],
        "severity": RU["form.severity"],
        "title": RU["form.title"],
        "description": RU["form.description"],
    }
    assert inputs["contact"]["label"] == RU["form.contact"]
    assert inputs["description"]["placeholder"] == RU["form.description_hint"]
    assert inputs["title"]["errorMessage"] == RU["form.error.required"]
    severities = [choice["title"] for choice in inputs["severity"]["choices"]]
    assert severities == [RU["severity.critical.long"], RU["severity.moderate.long"], RU["severity.minimal.long"]]
    assert RU["product.other"] in [choice["title"] for choice in inputs["product"]["choices"]]
    assert [choice["value"] for choice in inputs["severity"]["choices"]] == ["critical", "moderate", "minimal"]
    assert button_titles(form) == [RU["action.submit_ticket"]]


async def test_refused_fields_are_explained_in_russian(desk, customer_chat):
    draft_id, _, _ = await open_russian_form(desk, customer_chat)
    typed = {**TYPED, "service": "", "title": "я" * 121}

    _, body = await desk.send(in_russian(customer_chat.invoke("ticket.submit", draft_id, typed)))

    text = card_text(body["value"])
    assert RU["form.fix_problems"] in text
    assert RU["form.error.required"] in text
    assert RU["form.error.too_long"].format(limit=120) in text
    assert card_inputs(body["value"])["description"]["value"] == TYPED["description"]
    assert await rows(desk, "SELECT * FROM tickets") == []


async def test_russian_customer_and_english_technicians_see_the_same_ticket_each_in_their_language(
    desk, customer_chat, triage_channel, technician
):
    await set_triage_channel(desk, triage_channel, technician)  # an en-US message: the channel speaks English

    status_card = await raise_russian_ticket(desk, customer_chat)

    # The customer's card: Russian words around the ticket as typed.
    assert status_card["body"][0]["text"] == RU["status_card.heading"].format(number="T-1001")
    assert TYPED["title"] in card_text(status_card)
    assert facts(status_card)[RU["ticket.status"]] == RU["status.new"]
    assert facts(status_card)[RU["ticket.severity"]] == RU["severity.critical"]
    assert facts(status_card)[RU["ticket.product"]] == RU["product.microsoft365"]
    assert button_titles(status_card) == [RU["action.my_tickets"]]
    # Stored exactly as typed.
    stored = await ticket_row(desk, "T-1001")
    assert (stored["title"], stored["description"]) == (TYPED["title"], TYPED["description"])

    # The triage card, posted at the same time: English words around the same text.
    posted = triage_posts(desk, triage_channel)
    assert len(posted) == 1
    triage = posted[0].cards[0]
    text = card_text(triage)
    assert EN["triage.heading"].format(number="T-1001", severity="Critical", status="New") in text
    assert facts(triage)[EN["triage.status"]] == EN["status.new"]
    assert TYPED["title"] in text and TYPED["description"] in text
    assert_no_russian_labels(text)
    summary = posted[0].body["activity"].get("summary")
    assert summary == EN["triage.new_ticket_summary"].format(number="T-1001", customer="Fabrikam, Inc.")

    # A technician (en-US) opens it: the technician view is English too.
    activity = triage_channel.invoke(technician, "ticket.refresh", "T-1001", thread=stored["triage_activity_id"])
    status, body = await desk.send(activity)
    assert status == 200 and body["type"] == CARD
    view = card_text(body["value"])
    assert EN["action.assign_me"] in view and TYPED["description"] in view
    assert_no_russian_labels(view)


async def test_technicians_work_is_told_to_the_customer_in_russian(desk, customer_chat, triage_channel, technician):
    await set_triage_channel(desk, triage_channel, technician)
    await raise_russian_ticket(desk, customer_chat)
    ticket = await ticket_row(desk, "T-1001")

    activity = triage_channel.invoke(technician, "ticket.assign_me", "T-1001", thread=ticket["triage_activity_id"])
    status, body = await desk.send(activity)
    assert status == 200
    await desk.delivered()

    # The technician's answer and the thread line: English.
    assert EN["triage.heading"].format(number="T-1001", severity="Critical", status="Triaged") in card_text(
        body["value"]
    )
    thread = f"{triage_channel.channel_id};messageid={ticket['triage_activity_id']}"
    lines = [card_text(s.cards[0]) for s in desk.connector.posts(thread) if s.conversation_id == thread and s.cards]
    assert EN["thread.took"].format(actor=technician.name) in lines[-1]
    # The customer: a Russian notice, and their status card updated in place in Russian.
    told = [s.text for s in desk.connector.posts(customer_chat.conversation_id)]
    assert RU["notice.assigned"].format(name=technician.name, number="T-1001") in told
    updated = [u for u in desk.connector.updates() if u.conversation_id == customer_chat.conversation_id]
    assert updated, "the customer's status card was updated"
    card = updated[-1].cards[0]
    assert facts(card)[RU["ticket.status"]] == RU["status.triaged"]
    assert facts(card)[RU["ticket.assignee"]] == technician.name
    assert TYPED["title"] in card_text(card)


async def test_a_channel_set_up_in_russian_gets_russian_triage_cards(desk, customer_chat, triage_channel, technician):
    status, _ = await desk.send(in_russian(triage_channel.message(technician, "triage here")))
    assert status == 201
    assert desk.connector.posts(triage_channel.channel_id)[-1].text == RU["triage.set"]

    await desk.send(customer_chat.message("new ticket"))  # an English-speaking customer
    form_message = desk.connector.posts(customer_chat.conversation_id)[-1]
    draft_id = submit_target(form_message.cards[0])
    _, body = await desk.send(customer_chat.invoke("ticket.submit", draft_id, TYPED))
    await desk.delivered()

    assert body["value"]["body"][0]["text"] == EN["status_card.heading"].format(number="T-1001")
    triage = triage_posts(desk, triage_channel)[-1].cards[0]
    text = card_text(triage)
    assert RU["triage.heading"].format(number="T-1001", severity=RU["severity.critical"], status=RU["status.new"]) in (
        text
    )
    assert facts(triage)[RU["triage.customer"]] == "Fabrikam, Inc."
    assert TYPED["title"] in text and TYPED["description"] in text


async def test_text_dialog_asks_in_russian_and_accepts_russian_answers(desk, connector, customer_chat):
    def say(text: str) -> dict[str, Any]:
        activity = in_russian(customer_chat.message(text))
        activity["channelId"] = "sms"  # a client without cards
        return activity

    await desk.send(say("new ticket Принтер не печатает"))
    assert connector.posts(customer_chat.conversation_id)[-1].text.startswith(RU["dialog.product"])
    for answer, next_question in (
        ("1", "dialog.service"),
        ("Universal Print", "dialog.severity"),
        ("умеренный", "dialog.description"),
        ("Принтер на 3-м этаже не печатает.", "dialog.contact"),
    ):
        status, _ = await desk.send(say(answer))
        assert status == 201
        assert connector.posts(customer_chat.conversation_id)[-1].text.startswith(RU[next_question])
    await desk.send(say("Меган, +44 113 496 0000"))
    question = connector.posts(customer_chat.conversation_id)[-1].text
    confirm = RU["dialog.confirm"].format(title="Принтер не печатает", severity=RU["severity.moderate"])
    assert question.splitlines() == [confirm, f"1. {RU['dialog.yes']}", f"2. {RU['dialog.no']}"]
    assert await rows(desk, "SELECT * FROM tickets") == []

    await desk.send(say("Да"))

    tickets = await rows(desk, "SELECT product, service, severity, title, description, contact FROM tickets")
    assert tickets == [
        {
            "product": "microsoft365",
            "service": "Universal Print",
            "severity": "moderate",
            "title": "Принтер не печатает",
            "description": "Принтер на 3-м этаже не печатает.",
            "contact": "Меган, +44 113 496 0000",
        }
    ]
    told = [s.text for s in connector.posts(customer_chat.conversation_id)]
    assert any(text.startswith(RU["created.message"].split("{number}")[0]) and "T-1001" in text for text in told)


async def test_text_dialog_in_russian_can_be_declined(desk, connector, customer_chat):
    def say(text: str) -> dict[str, Any]:
        activity = in_russian(customer_chat.message(text))
        activity["channelId"] = "sms"
        return activity

    for answer in ("new ticket Сбой VPN", "2", "VPN Gateway", "1", "Не подключается VPN.", "по почте", "нет"):
        assert (await desk.send(say(answer)))[0] == 201
    assert connector.posts(customer_chat.conversation_id)[-1].text == RU["dialog.cancelled"]
    assert await rows(desk, "SELECT * FROM tickets") == []
