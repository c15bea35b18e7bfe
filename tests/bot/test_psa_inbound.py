"""The PSA bridge's inbound endpoint with the real app: a signed request sets a ticket's status, assigns it, replies
or adds a note through a technician's click's path (the triage card updated, the thread told, the customer told of
what is theirs), by the PSA as PSA_ACTOR_NAME; bad, missing, stale and replayed signatures, illegal transitions,
unknown technicians and tickets, and bad bodies change nothing; without PSA_INBOUND there is no endpoint."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from tests.bot.helpers import card_text, raise_ticket, rows, set_triage_channel, ticket_row
from tests.bot.psa_rig import SECRET, signed
from tests.support.harness import OFFICE_HOURS, Desk, local_settings, start_desk

NOW = int(OFFICE_HOURS.timestamp())  # the desk's fixed clock


@pytest.fixture
async def desk(tmp_path, connector) -> AsyncIterator[Desk]:
    settings = local_settings(
        tmp_path, connector, PSA_INBOUND="true", PSA_WEBHOOK_SECRET=SECRET, PSA_ACTOR_NAME="HaloPSA"
    )
    running = await start_desk(settings, connector)
    yield running
    await running.close()


@pytest.fixture
async def ticket(desk, customer_chat, triage_channel, technician) -> dict:
    await set_triage_channel(desk, triage_channel, technician)
    return await ticket_row(desk, await raise_ticket(desk, customer_chat))


async def post(desk: Desk, body: object, number: str = "T-1001", **header: str) -> tuple[int, dict]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = signed(SECRET, raw, NOW, number) | header
    response = await desk.client.post(f"/api/psa/tickets/{number}", data=raw, headers=headers)
    answer = await response.json()
    await desk.delivered()
    return response.status, answer


def card_now(desk: Desk, ticket: dict) -> str:
    updates = [u for u in desk.connector.updates() if u.activity_id == ticket["triage_activity_id"]]
    assert updates, "the triage card was updated in place"
    return card_text(updates[-1].cards[0])


def thread(desk: Desk, channel, ticket: dict) -> list[str]:
    conversation = f"{channel.channel_id};messageid={ticket['triage_activity_id']}"
    return [card_text(s.cards[0]) for s in desk.connector.posts(conversation) if s.cards]


async def events(desk: Desk) -> list[dict]:
    return await rows(desk, "SELECT kind, actor_aad_id, actor_name FROM ticket_events WHERE actor_aad_id = 'psa'")


async def test_set_status_is_applied_and_shown_on_the_card(desk, ticket, triage_channel, customer_chat):
    status, answer = await post(desk, {"action": "set_status", "status": "in_progress"})

    assert status == 200 and answer["ticket"]["status"] == "in_progress"
    assert "In progress" in card_now(desk, ticket)
    assert any("HaloPSA changed the status" in line for line in thread(desk, triage_channel, ticket))
    assert {"kind": "status", "actor_aad_id": "psa", "actor_name": "HaloPSA"} in await events(desk)
    told = [s.text for s in desk.connector.posts(customer_chat.conversation_id) if s.text]
    assert "We're working on your ticket T-1001." in told


async def test_assign_names_a_known_technician_by_email(desk, ticket, triage_channel, customer_chat):
    status, answer = await post(desk, {"action": "assign", "assignee": "Alex@ContosoCloud.onmicrosoft.com"})

    assert status == 200
    assert answer["ticket"]["assignee"] == {"name": "Alex Wilber", "email": "alex@contosocloud.onmicrosoft.com"}
    assert "Alex Wilber" in card_now(desk, ticket)
    assert "HaloPSA assigned the ticket to Alex Wilber." in "\n".join(thread(desk, triage_channel, ticket))
    told = [s.text for s in desk.connector.posts(customer_chat.conversation_id)]
    assert "Alex Wilber is now handling your ticket T-1001." in told


async def test_assign_to_someone_unknown_is_refused(desk, ticket):
    status, answer = await post(desk, {"action": "assign", "assignee": "mallory@evil.example"})

    assert status == 409 and "No known technician" in answer["message"]
    assert (await ticket_row(desk, "T-1001"))["assignee_name"] is None


async def test_reply_reaches_the_customer_and_the_thread(desk, ticket, triage_channel, customer_chat):
    status, _ = await post(desk, {"action": "reply", "text": "We are on it."})

    assert status == 200
    assert any(
        "We are on it." in card_text(s.cards[0]) for s in desk.connector.posts(customer_chat.conversation_id) if s.cards
    )
    assert any("HaloPSA replied" in line and "We are on it." in line for line in thread(desk, triage_channel, ticket))


async def test_note_stays_with_technicians(desk, ticket, triage_channel, customer_chat):
    before = len(desk.connector.posts(customer_chat.conversation_id))
    status, _ = await post(desk, {"action": "note", "text": "Called the customer."})

    assert status == 200
    assert any("Called the customer." in line for line in thread(desk, triage_channel, ticket))
    assert len(desk.connector.posts(customer_chat.conversation_id)) == before


async def test_an_illegal_transition_is_refused_with_a_plain_message(desk, ticket):
    status, answer = await post(desk, {"action": "set_status", "status": "closed"})

    assert status == 409
    assert answer == {"error": "refused", "message": "T-1001 can't go from New to Closed."}
    assert (await ticket_row(desk, "T-1001"))["status"] == "new"


async def test_resolving_needs_a_summary_and_takes_one(desk, ticket):
    status, answer = await post(desk, {"action": "set_status", "status": "resolved"})
    assert status == 409 and "summary" in answer["message"]

    status, answer = await post(desk, {"action": "set_status", "status": "resolved", "summary": "Fixed the rule."})
    assert status == 200 and answer["ticket"]["status"] == "resolved"
    assert (await ticket_row(desk, "T-1001"))["resolution"] == "Fixed the rule."


@pytest.mark.parametrize(
    "headers",
    [
        {"X-PartnerDesk-Signature": "v1=" + "0" * 64},
        {"X-PartnerDesk-Signature": "v1=deadbeef"},
        {"X-PartnerDesk-Signature": ""},
        {"X-PartnerDesk-Timestamp": str(NOW + 1)},  # signed for another moment
        {"X-PartnerDesk-Timestamp": "soon"},
    ],
)
async def test_a_bad_or_missing_signature_is_refused(desk, ticket, headers):
    status, answer = await post(desk, {"action": "note", "text": "x"}, **headers)

    assert status == 401 and answer["error"] == "unauthorized"
    assert await events(desk) == []


async def test_a_refused_request_writes_one_log_line_whatever_its_path(desk, ticket, caplog):
    # Anyone may call the endpoint: a path spelling a line break must not write a second, forged, log line.
    raw = json.dumps({"action": "note", "text": "x"}).encode()
    forged = "T-1001%0A2026-11-24 10:00:00,000 ERROR desk: forged"
    response = await desk.client.post(f"/api/psa/tickets/{forged}", data=raw, headers={"X-PartnerDesk-Timestamp": "1"})

    assert response.status == 401
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("PSA request")]
    assert "\n" not in line


async def test_a_request_signed_with_another_secret_is_refused(desk, ticket):
    raw = json.dumps({"action": "note", "text": "x"}).encode()
    headers = signed("another-secret-of-the-same-length-0123456789", raw, NOW)
    response = await desk.client.post("/api/psa/tickets/T-1001", data=raw, headers=headers)

    assert response.status == 401
    assert await events(desk) == []


async def test_a_stale_request_is_refused(desk, ticket):
    raw = json.dumps({"action": "note", "text": "x"}).encode()
    response = await desk.client.post("/api/psa/tickets/T-1001", data=raw, headers=signed(SECRET, raw, NOW - 301))

    assert response.status == 401 and (await response.json())["message"] == "stale timestamp"
    assert await events(desk) == []


async def test_a_replayed_request_is_refused(desk, ticket):
    raw = json.dumps({"action": "note", "text": "Once only."}).encode()
    headers = signed(SECRET, raw, NOW)
    first = await desk.client.post("/api/psa/tickets/T-1001", data=raw, headers=headers)
    again = await desk.client.post("/api/psa/tickets/T-1001", data=raw, headers=headers)

    assert (first.status, again.status) == (200, 409)
    assert (await again.json())["error"] == "replayed"
    assert [e["kind"] for e in await events(desk)] == ["note"]


async def test_a_retried_request_id_applies_once(desk, ticket):
    body = {"action": "reply", "text": "Once only.", "requestId": "halo-42"}
    first, _ = await post(desk, body)
    raw = json.dumps(body).encode()
    retried = await desk.client.post("/api/psa/tickets/T-1001", data=raw, headers=signed(SECRET, raw, NOW - 1))

    assert (first, retried.status) == (200, 200)
    assert [e["kind"] for e in await events(desk)] == ["reply"]


async def test_a_request_signed_for_another_ticket_is_refused(desk, ticket, customer_chat):
    second = await raise_ticket(desk, customer_chat)
    raw = json.dumps({"action": "set_status", "status": "in_progress"}).encode()
    response = await desk.client.post(f"/api/psa/tickets/{second}", data=raw, headers=signed(SECRET, raw, NOW))

    assert response.status == 401, "signed for T-1001: its path is part of what is signed"
    assert (await ticket_row(desk, second))["status"] == "new"


async def test_the_same_body_to_two_tickets_at_once_is_applied_to_both(desk, ticket, customer_chat):
    second = await raise_ticket(desk, customer_chat)
    body = {"action": "set_status", "status": "in_progress"}

    assert [(await post(desk, body, number))[0] for number in ("T-1001", second)] == [200, 200], "not a replay"
    assert [(await ticket_row(desk, n))["status"] for n in ("T-1001", second)] == ["in_progress", "in_progress"]


async def test_a_request_id_applies_once_per_ticket(desk, ticket, customer_chat):
    # A PSA's own ids may count per ticket: T-1002's request "1" is not T-1001's, already applied.
    second = await raise_ticket(desk, customer_chat)
    body = {"action": "note", "text": "Called the customer.", "requestId": "1"}
    first, _ = await post(desk, body)
    other, _ = await post(desk, body, number=second)

    assert (first, other) == (200, 200)
    noted = await rows(desk, "SELECT ticket_id FROM ticket_events WHERE actor_aad_id = 'psa' ORDER BY id")
    assert [row["ticket_id"] for row in noted] == [ticket["id"], (await ticket_row(desk, second))["id"]]


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        {"action": "delete"},
        {"action": "set_status", "status": "sideways"},
        {"action": "reply"},
        {"action": "reply", "text": "x" * 4001},
        {"action": "note", "text": "x", "assignee": "alex"},
        # Valid JSON, but no text a database keeps: PostgreSQL refuses NUL, UTF-8 an unpaired surrogate.
        {"action": "note", "text": "a\u0000b"},
        {"action": "reply", "text": "a\ud800b"},
        {"action": "set_status", "status": "resolved", "summary": "\udfff"},
        {"action": "note", "text": "x", "requestId": "a\u0000b"},
        {"action": "note", "text": "x", "requestId": "\ud800"},
    ],
)
async def test_a_bad_body_is_refused(desk, ticket, body):
    status, answer = await post(desk, body)

    assert status == 400 and answer["error"] == "bad_request"
    assert await events(desk) == []


async def test_an_unknown_ticket_is_404(desk, ticket):
    status, answer = await post(desk, {"action": "note", "text": "x"}, number="T-9999")
    assert status == 404 and answer["error"] == "no_such_ticket"


async def test_a_large_body_is_refused(desk, ticket):
    status, _ = await post(desk, json.dumps({"action": "note", "text": "x" * 70000}).encode())
    assert status == 413


async def test_the_longest_text_is_accepted_however_its_json_spells_it(desk, ticket):
    # Python's json.dumps (PHP's json_encode too) escapes each character outside ASCII by default: \uXXXX, and an
    # emoji as two of them, 12 bytes for one of the 4,000 characters a note may have.
    raw = json.dumps({"action": "note", "text": "🙂" * 4000, "requestId": "é" * 100}).encode()
    status, _ = await post(desk, raw)

    assert status == 200
    assert [e["kind"] for e in await events(desk)] == ["note"]


async def test_without_psa_inbound_there_is_no_endpoint(tmp_path, connector):
    desk = await start_desk(local_settings(tmp_path, connector, PSA_WEBHOOK_SECRET=SECRET), connector)
    try:
        raw = json.dumps({"action": "note", "text": "x"}).encode()
        response = await desk.client.post("/api/psa/tickets/T-1001", data=raw, headers=signed(SECRET, raw, NOW))
        assert response.status == 404
    finally:
        await desk.close()
