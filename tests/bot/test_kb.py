"""The knowledge base in the bot, at the HTTP level on both engines: "Publish as answer" on a resolved ticket (the
form never carries the description, the customer's words or internal notes); answers offered before a ticket and
both outcomes recorded in deflections ("This solved it": no ticket; "I still need help": the ticket, once); a critical
form opened at once; no match, no change; `kb` and sending an answer to the customer or into the thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emulator import demo
from tests.bot.helpers import (
    GOOD_TICKET,
    card_text,
    nodes,
    open_form,
    raise_ticket,
    rows,
    set_triage_channel,
    ticket_row,
)
from tests.support.activities import Chat, user
from tests.support.harness import local_settings, start_desk

NOTE = "Internal: the tenant's conditional access policy is misconfigured, do not tell them."
CUSTOMER_WORDS = "Our CFO Bob cannot read his mail, account bob@fabrikam.example."
FIX = "Cleared the cached Office credentials in Credential Manager and signed in again."
OUTLOOK = "# Outlook keeps asking for a password\n\nRemove the MicrosoftOffice entries in Credential Manager.\n"
RUSSIAN = "---\nlanguage: ru\n---\n# Не удаётся сбросить пароль\n\nОткройте aka.ms/sspr и задайте новый пароль.\n"


@pytest.fixture
async def kb_desk(tmp_path: Path, connector):
    """The desk with a KB_DIR of two articles (English and Russian), loaded at start-up."""
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "outlook.md").write_text(OUTLOOK, encoding="utf-8")
    (folder / "reset-ru.md").write_text(RUSSIAN, encoding="utf-8")
    running = await start_desk(local_settings(tmp_path / "desk", connector, KB_DIR=str(folder)), connector)
    yield running
    await running.close()


def verbs_and_targets(card: dict[str, Any]) -> list[tuple[str, str]]:
    return [(n["verb"], n["data"]["id"]) for n in nodes(card) if n.get("type") == "Action.Execute"]


def only_verb_and_id(card: dict[str, Any]) -> bool:
    return all(set(n["data"]) == {"verb", "id"} for n in nodes(card) if n.get("type") == "Action.Execute")


async def act(desk, channel, technician, verb: str, target: str, inputs=None, thread: str = "") -> dict[str, Any]:
    status, body = await desk.send(channel.invoke(technician, verb, target, inputs, thread=thread))
    assert status == 200, body
    await desk.delivered()
    return body


async def resolved_ticket(desk, customer_chat, channel, technician) -> dict[str, Any]:
    """T-1001 with a customer message, an internal note and a resolution."""
    await set_triage_channel(desk, channel, technician)
    number = await raise_ticket(desk, customer_chat, description=CUSTOMER_WORDS, severity="moderate")
    row = await ticket_row(desk, number)
    await desk.send(customer_chat.message("He also gets a password prompt every minute."))
    thread = row["triage_activity_id"]
    await act(desk, channel, technician, "ticket.note", number, {"note_text": NOTE}, thread)
    await act(desk, channel, technician, "ticket.resolve", number, {"resolution": FIX}, thread)
    return await ticket_row(desk, number)


async def test_publish_form_has_the_title_and_fix_only_and_never_internal_notes(
    desk, customer_chat, triage_channel, technician
):
    ticket = await resolved_ticket(desk, customer_chat, triage_channel, technician)
    thread = ticket["triage_activity_id"]
    view = await act(desk, triage_channel, technician, "ticket.refresh", ticket["number"], thread=thread)
    assert ("kb.publish", ticket["number"]) in verbs_and_targets(view["value"])

    await act(desk, triage_channel, technician, "kb.publish", ticket["number"], thread=thread)
    form = [p for p in desk.connector.posts() if p.cards and "Publish the fix of T-1001" in card_text(p.cards[0])]
    assert len(form) == 1
    shown = card_text(form[0].cards[0])
    assert FIX in shown and GOOD_TICKET["title"] in shown
    for secret in (NOTE, CUSTOMER_WORDS, "password prompt every minute"):
        assert secret not in shown
    assert verbs_and_targets(form[0].cards[0]) == [("kb.publish_submit", "T-1001")] and only_verb_and_id(
        form[0].cards[0]
    )

    edited = {"kb_title": "Outlook asks for a password again and again", "kb_body": FIX, "kb_language": "en"}
    body = await act(desk, triage_channel, technician, "kb.publish_submit", "T-1001", edited, thread)
    assert "Published as an answer" in card_text(body["value"])
    [article] = await rows(desk, "SELECT * FROM kb_articles")
    assert (article["source"], article["ticket_id"], article["published_by"]) == (
        "ticket",
        ticket["id"],
        technician.aad_id,
    )
    assert article["body"] == FIX and NOTE not in article["title"] + article["body"]

    # Published again (edited): one answer per ticket.
    await act(
        desk, triage_channel, technician, "kb.publish_submit", "T-1001", {**edited, "kb_body": "Shorter."}, thread
    )
    assert [r["body"] for r in await rows(desk, "SELECT body FROM kb_articles")] == ["Shorter."]


async def test_publishing_needs_a_resolved_ticket_and_a_technician(desk, customer_chat, triage_channel, technician):
    await set_triage_channel(desk, triage_channel, technician)
    number = await raise_ticket(desk, customer_chat)
    inputs = {"kb_title": "x", "kb_body": "y", "kb_language": "en"}
    body = await act(desk, triage_channel, technician, "kb.publish_submit", number, inputs)
    assert "is not resolved" in body["value"]
    status, body = await desk.send(customer_chat.invoke("kb.publish_submit", number, inputs))
    assert status == 200 and body["type"] != "application/vnd.microsoft.card.adaptive"
    assert await rows(desk, "SELECT * FROM kb_articles") == []


async def test_a_published_answer_is_offered_to_the_next_customer(desk, customer_chat, triage_channel, technician):
    ticket = await resolved_ticket(desk, customer_chat, triage_channel, technician)
    edited = {"kb_title": "Outlook asks for a password again and again", "kb_body": FIX, "kb_language": "en"}
    await act(desk, triage_channel, technician, "kb.publish_submit", ticket["number"], edited)

    adele = Chat(user(demo.FABRIKAM, 1), customer_chat.service_url)
    await desk.send(adele.message("Outlook keeps asking for my password"))
    offer = desk.connector.posts(adele.conversation_id)[-1].cards[0]
    assert "Outlook asks for a password again and again" in card_text(offer) and FIX in card_text(offer)
    assert NOTE not in card_text(offer)


async def test_this_solved_it_opens_no_ticket_and_counts(kb_desk, customer_chat):
    await kb_desk.send(customer_chat.message("Outlook keeps asking for my password since this morning"))
    offer = kb_desk.connector.posts(customer_chat.conversation_id)[-1].cards[0]
    assert "Outlook keeps asking for a password" in card_text(offer) and only_verb_and_id(offer)
    offered = await rows(kb_desk, "SELECT * FROM deflections ORDER BY id")
    assert offered[0]["source"] == "kb" and all(r["outcome"] is None for r in offered)
    assert {r["tenant_id"] for r in offered} == {demo.FABRIKAM.tenant_id}
    solved = next(t for v, t in verbs_and_targets(offer) if v == "answer.solved")

    status, body = await kb_desk.send(customer_chat.invoke("answer.solved", solved))
    assert status == 200 and "Glad that solved it" in card_text(body["value"])
    assert [
        r["outcome"] for r in await rows(kb_desk, "SELECT outcome FROM deflections WHERE offer_id = ?", (solved,))
    ] == ["solved"]
    assert await rows(kb_desk, "SELECT * FROM tickets") == []


async def test_i_still_need_help_after_a_message_opens_the_form_with_it(kb_desk, customer_chat):
    text = "Не могу сбросить пароль, пишет ошибку"
    await kb_desk.send(customer_chat.message(text))
    offer = kb_desk.connector.posts(customer_chat.conversation_id)[-1].cards[0]
    assert "Не удаётся сбросить пароль" in card_text(offer)
    help_target = next(t for v, t in verbs_and_targets(offer) if v == "answer.need_help")

    _, body = await kb_desk.send(customer_chat.invoke("answer.need_help", help_target))
    form = body["value"]
    description = next(n for n in nodes(form) if n.get("id") == "description")
    assert description["value"] == text
    draft_id = next(t for v, t in verbs_and_targets(form) if v == "ticket.submit")
    _, body = await kb_desk.send(
        customer_chat.invoke("ticket.submit", draft_id, {**GOOD_TICKET, "severity": "minimal", "description": text})
    )
    assert "Ticket T-1001" in card_text(body["value"])  # not held for the offer a second time
    [ticket] = await rows(kb_desk, "SELECT id FROM tickets")
    outcomes = await rows(kb_desk, "SELECT outcome, ticket_id FROM deflections")
    assert outcomes and all(r == {"outcome": "needed_help", "ticket_id": ticket["id"]} for r in outcomes)


async def test_i_still_need_help_after_the_form_opens_the_ticket_once(
    kb_desk, customer_chat, triage_channel, technician
):
    await set_triage_channel(kb_desk, triage_channel, technician)
    draft_id, _ = await open_form(kb_desk, customer_chat)
    typed = {
        **GOOD_TICKET,
        "severity": "moderate",
        "title": "Outlook password prompt",
        "description": "It keeps asking.",
    }
    _, body = await kb_desk.send(customer_chat.invoke("ticket.submit", draft_id, typed))
    offer = body["value"]
    assert "Outlook keeps asking for a password" in card_text(offer)
    assert await rows(kb_desk, "SELECT * FROM tickets") == []
    help_target = next(t for v, t in verbs_and_targets(offer) if v == "answer.need_help")

    _, first = await kb_desk.send(customer_chat.invoke("answer.need_help", help_target))
    _, again = await kb_desk.send(customer_chat.invoke("answer.need_help", help_target))
    assert "Ticket T-1001" in card_text(first["value"])
    assert "T-1001" in (again["value"] if isinstance(again["value"], str) else card_text(again["value"]))
    [ticket] = await rows(kb_desk, "SELECT id, title, description, severity FROM tickets")
    assert (ticket["title"], ticket["description"], ticket["severity"]) == (
        typed["title"],
        typed["description"],
        "moderate",
    )
    await kb_desk.delivered()
    created = [s for s in kb_desk.connector.sent if s.path == "/v3/conversations"]
    assert len(created) == 1 and "T-1001" in card_text(created[0].cards[0])  # in the triage channel
    outcomes = await rows(kb_desk, "SELECT outcome, ticket_id FROM deflections")
    assert outcomes and all(r == {"outcome": "needed_help", "ticket_id": ticket["id"]} for r in outcomes)
    # "This solved it" afterwards changes nothing.
    solved = next(t for v, t in verbs_and_targets(offer) if v == "answer.solved")
    _, body = await kb_desk.send(customer_chat.invoke("answer.solved", solved))
    assert "already open" in body["value"]
    assert all(r["outcome"] == "needed_help" for r in await rows(kb_desk, "SELECT outcome FROM deflections"))


async def test_a_critical_form_opens_the_ticket_at_once_with_answers_beside(kb_desk, customer_chat):
    draft_id, _ = await open_form(kb_desk, customer_chat)
    typed = {**GOOD_TICKET, "title": "Outlook password prompt", "description": "It keeps asking, nobody can work."}
    _, body = await kb_desk.send(customer_chat.invoke("ticket.submit", draft_id, typed))
    assert "Ticket T-1001" in card_text(body["value"])
    beside = kb_desk.connector.posts(customer_chat.conversation_id)[-1].cards[0]
    assert "While we look at T-1001" in card_text(beside) and verbs_and_targets(beside) == []
    assert await rows(kb_desk, "SELECT * FROM deflections") == []


async def test_no_matching_answer_changes_nothing(kb_desk, customer_chat):
    await kb_desk.send(customer_chat.message("The printer on floor 3 jams"))
    card = kb_desk.connector.posts(customer_chat.conversation_id)[-1].cards[0]
    assert "ticket.from_draft" in {v for v, _ in verbs_and_targets(card)}
    assert await rows(kb_desk, "SELECT * FROM deflections") == []


async def test_offers_are_the_customers_own(kb_desk, customer_chat):
    await kb_desk.send(customer_chat.message("Outlook keeps asking for my password"))
    offer = kb_desk.connector.posts(customer_chat.conversation_id)[-1].cards[0]
    help_target = next(t for v, t in verbs_and_targets(offer) if v == "answer.need_help")
    adele = Chat(user(demo.FABRIKAM, 1), customer_chat.service_url)
    _, body = await kb_desk.send(adele.invoke("answer.need_help", help_target))
    assert "expired" in body["value"]
    assert all(r["outcome"] is None for r in await rows(kb_desk, "SELECT outcome FROM deflections"))


async def test_kb_in_a_thread_sends_an_answer_to_the_customer_or_the_thread(
    kb_desk, customer_chat, triage_channel, technician
):
    await set_triage_channel(kb_desk, triage_channel, technician)
    number = await raise_ticket(kb_desk, customer_chat)
    thread = (await ticket_row(kb_desk, number))["triage_activity_id"]
    await kb_desk.send(triage_channel.message(technician, "kb outlook password", thread=thread))
    results = [p for p in kb_desk.connector.posts() if p.cards and "Knowledge base" in card_text(p.cards[0])][-1]
    targets = dict(verbs_and_targets(results.cards[0]))
    assert targets["kb.send_customer"].endswith(f":{number}") and only_verb_and_id(results.cards[0])

    await act(kb_desk, triage_channel, technician, "kb.send_customer", targets["kb.send_customer"], thread=thread)
    to_customer = kb_desk.connector.posts(customer_chat.conversation_id)[-1]
    assert "Remove the MicrosoftOffice entries" in card_text(to_customer.cards[0])
    await act(kb_desk, triage_channel, technician, "kb.send_thread", targets["kb.send_thread"], thread=thread)
    events = await rows(kb_desk, "SELECT kind, text FROM ticket_events WHERE kind IN ('reply', 'note') ORDER BY id")
    assert [e["kind"] for e in events] == ["reply", "note"]
    assert all("Outlook keeps asking for a password" in e["text"] for e in events)


async def test_kb_names_a_ticket_or_only_lists(kb_desk, customer_chat, triage_channel, technician):
    await set_triage_channel(kb_desk, triage_channel, technician)
    number = await raise_ticket(kb_desk, customer_chat)
    await kb_desk.send(triage_channel.message(technician, f"kb {number} пароля"))
    named = [p for p in kb_desk.connector.posts() if p.cards and "Knowledge base" in card_text(p.cards[0])][-1]
    assert "Не удаётся сбросить пароль" in card_text(named.cards[0])
    assert dict(verbs_and_targets(named.cards[0]))["kb.send_customer"].endswith(f":{number}")
    await kb_desk.send(triage_channel.message(technician, "kb outlook"))
    listed = [p for p in kb_desk.connector.posts() if p.cards and "Knowledge base" in card_text(p.cards[0])][-1]
    assert verbs_and_targets(listed.cards[0]) == []
    await kb_desk.send(customer_chat.message("kb outlook"))  # customers cannot search it: an ordinary message
    assert not [
        p
        for p in kb_desk.connector.posts(customer_chat.conversation_id)
        if p.cards and "Knowledge base" in card_text(p.cards[0])
    ]


async def test_sending_refuses_what_is_not_there(kb_desk, customer_chat, triage_channel, technician):
    await set_triage_channel(kb_desk, triage_channel, technician)
    number = await raise_ticket(kb_desk, customer_chat)
    for target in ("999:" + number, "²:" + number, "abc", "1:T-9999", ":", ""):
        body = await act(kb_desk, triage_channel, technician, "kb.send_customer", target)
        assert body["type"] == "application/vnd.microsoft.activity.message", target
    assert await rows(kb_desk, "SELECT * FROM ticket_events WHERE kind = 'reply'") == []
    await kb_desk.send(triage_channel.message(technician, "kb T-9999 outlook"))
    assert kb_desk.connector.posts()[-1].text == "I can't find that ticket."
