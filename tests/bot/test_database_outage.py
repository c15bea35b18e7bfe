"""The database goes away and comes back, with the real app (tests/support/outage.py): every turn meanwhile answers
503 (Teams redelivers it) with one warning line and no traceback, nobody gets an apology, /readyz says why it is
not ready, the sender survives with one warning and one "back" line, and everything resumes by itself: a turn
redelivered after the database is back is processed once."""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from desk.store.database import Database, DatabaseUnavailable
from tests.bot.helpers import raise_ticket, rows, set_triage_channel, ticket_row
from tests.bot.outbox_rig import chat_with, remember, text, texts
from tests.support.activities import Channel, Chat, TeamsUser
from tests.support.connector import LocalConnector
from tests.support.harness import Desk, local_settings, start_desk
from tests.support.outage import REASON, Switch, SwitchableDatabase


@pytest.fixture
async def switch(tmp_path: Path, connector: LocalConnector) -> AsyncIterator[tuple[Desk, SwitchableDatabase]]:
    """The app on a database the test can stop and start."""
    opener = Switch()
    running = await start_desk(local_settings(tmp_path, connector), connector, open_db=opener.open)
    assert opener.db is not None
    yield running, opener.db
    opener.db.up()
    await running.close()


async def until(condition: Callable[[], bool]) -> None:
    """Wait (at most 10 s) for what the app's own background tasks do."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not within 10 s")


def tracebacks(records: list[logging.LogRecord]) -> list[str]:
    return [r.getMessage() for r in records if r.exc_info or r.levelno >= logging.ERROR]


async def customer_messages(desk: Desk) -> list[str]:
    return [e["text"] for e in await rows(desk, "SELECT text FROM ticket_events WHERE kind = 'customer_message'")]


async def test_a_turn_while_the_database_is_down_answers_503_and_is_processed_once_when_redelivered(
    switch: tuple[Desk, SwitchableDatabase],
    customer_chat: Chat,
    triage_channel: Channel,
    technician: TeamsUser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    desk, db = switch
    await set_triage_channel(desk, triage_channel, technician)
    await raise_ticket(desk, customer_chat)
    await desk.delivered()
    said_before = len(desk.connector.posts(customer_chat.conversation_id))
    message = customer_chat.message("Still broken after lunch.")

    db.down()
    with caplog.at_level(logging.INFO):
        status, body = await desk.send(copy.deepcopy(message))
        again, _ = await desk.send(copy.deepcopy(message))  # Teams retries; still down

    assert (status, again) == (503, 503)
    assert body == {"error": "database_unavailable", "message": "The database cannot be reached; try again shortly."}
    assert tracebacks(caplog.records) == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "503" in r.getMessage()]
    assert len(warnings) == 2 and all(REASON in w for w in warnings), warnings
    assert len(desk.connector.posts(customer_chat.conversation_id)) == said_before, "no apology, no reply"

    db.up()
    status, _ = await desk.send(copy.deepcopy(message))  # Teams redelivers it once more
    duplicate, _ = await desk.send(copy.deepcopy(message))

    assert (status, duplicate) == (201, 201)
    assert await customer_messages(desk) == ["Still broken after lunch."]
    added = [s.text for s in desk.connector.posts(customer_chat.conversation_id) if "Added to your ticket" in s.text]
    assert len(added) == 1, added


async def test_the_sdk_state_storage_failing_mid_turn_answers_503_not_an_apology(
    switch: tuple[Desk, SwitchableDatabase], customer_chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    desk, db = switch
    message = customer_chat.message("new ticket")

    db.down(only_in="DatabaseStorage")  # the claim of the activity works; the dialog state cannot be read
    with caplog.at_level(logging.INFO):
        status, body = await desk.send(copy.deepcopy(message))

    assert status == 503 and body["error"] == "database_unavailable"
    assert db.refused >= 1
    assert tracebacks(caplog.records) == []
    assert desk.connector.posts(customer_chat.conversation_id) == []

    db.up()
    status, _ = await desk.send(copy.deepcopy(message))

    assert status == 201
    forms = [s for s in desk.connector.posts(customer_chat.conversation_id) if s.cards]
    assert len(forms) == 1, "the redelivered turn shows the form once"


async def test_a_card_action_while_the_database_is_down_answers_503_not_an_apology_card(
    switch: tuple[Desk, SwitchableDatabase],
    customer_chat: Chat,
    triage_channel: Channel,
    technician: TeamsUser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    desk, db = switch
    await set_triage_channel(desk, triage_channel, technician)
    ticket = await ticket_row(desk, await raise_ticket(desk, customer_chat))
    click = triage_channel.invoke(technician, "ticket.assign_me", "T-1001", thread=ticket["triage_activity_id"])

    db.down()
    with caplog.at_level(logging.INFO):
        status, body = await desk.send(copy.deepcopy(click))

    assert status == 503 and body["error"] == "database_unavailable"
    assert tracebacks(caplog.records) == []

    db.up()
    status, body = await desk.send(copy.deepcopy(click))

    assert status == 200 and "Alex Wilber" in str(body["value"])
    assert len(await rows(desk, "SELECT id FROM ticket_events WHERE kind = 'assigned'")) == 1


async def test_readiness_says_the_database_is_unreachable_and_recovers(
    switch: tuple[Desk, SwitchableDatabase], caplog: pytest.LogCaptureFixture
) -> None:
    desk, db = switch
    db.down()
    with caplog.at_level(logging.INFO):
        down = await desk.client.get("/readyz")
        down_body = await down.json()
    db.up()
    up = await desk.client.get("/readyz")

    assert (down.status, down_body) == (503, {"database": "unreachable", "reason": REASON})
    assert tracebacks(caplog.records) == []
    assert (up.status, (await up.json())["status"]) == (200, "ready")


async def test_readiness_never_shows_the_database_address_or_password(switch: tuple[Desk, SwitchableDatabase]) -> None:
    desk, db = switch

    db.down(
        reason='connection to server at "db.internal" (10.1.2.3), port 5432 failed: postgresql://desk:S3cret!@db.internal'
        "/desk password=S3cret! timeout expired"
    )
    answer = await desk.client.get("/readyz")
    body = await answer.json()

    assert answer.status == 503 and body["database"] == "unreachable"
    assert "S3cret" not in body["reason"] and "desk:" not in body["reason"], body
    assert "timeout expired" in body["reason"] and "db.internal" not in body["reason"]


async def test_the_sender_survives_an_outage_with_one_warning_and_delivers_when_the_database_is_back(
    switch: tuple[Desk, SwitchableDatabase], connector: LocalConnector, caplog: pytest.LogCaptureFixture
) -> None:
    desk, db = switch
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    sender = next(task for task in desk.runtime.tasks if task.get_name() == "outbox-sender")

    with caplog.at_level(logging.INFO):
        db.down()
        for _ in range(5):  # several passes fail (a kick wakes the sender from its backoff)
            refused = db.refused
            desk.runtime.sender.kick()
            await until(lambda before=refused: db.refused > before)  # type: ignore[misc]
        assert not sender.done(), "the sender is still running"
        db.up()
        await desk.runtime.services.desk.queue([text(chat, "after the outage")])  # kicks the sender
        await until(lambda: bool(connector.posts(chat.conversation_id)))

    assert texts(connector.posts(chat.conversation_id)) == ["after the outage"]
    assert tracebacks(caplog.records) == []
    outage = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "desk.outage"]
    assert [level for level, _ in outage] == ["WARNING", "INFO"], outage
    assert "unreachable" in outage[0][1] and REASON in outage[0][1] and "back" in outage[1][1]


async def test_a_message_teams_accepted_while_the_database_went_away_is_recorded_when_it_is_back_not_sent_again(
    switch: tuple[Desk, SwitchableDatabase], connector: LocalConnector
) -> None:
    # The send went through, then the database went away before the delivery could be recorded. Were the sender to
    # give up, the message would stay pending and go out a second time when its claim expired.
    desk, db = switch
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    db.down(only_in="Outcomes.record")  # claims work; recording an outcome does not
    await desk.runtime.services.desk.queue([text(chat, "accepted during the outage")])
    await until(lambda: bool(connector.posts(chat.conversation_id)))
    await until(lambda: db.refused > 0)  # the sender has tried to record it, and failed
    db.up()

    async def recorded() -> list[str]:
        return [r["status"] for r in await rows(desk, "SELECT status FROM outbox ORDER BY id")]

    for _ in range(300):
        if await recorded() == ["sent"]:
            break
        await asyncio.sleep(0.05)
    assert await recorded() == ["sent"]
    assert texts(connector.posts(chat.conversation_id)) == ["accepted during the outage"]


async def test_the_app_waits_at_start_up_for_a_database_that_is_not_up_yet(
    tmp_path: Path, connector: LocalConnector, customer_chat: Chat
) -> None:
    # A container started before its database (or during its restart) serves once the database is up, not crash.
    attempts: list[str] = []
    opener = Switch()

    async def not_yet_then_up(url: str, pool_size: int = 10) -> Database:
        attempts.append(url)
        if len(attempts) < 3:
            raise DatabaseUnavailable("the database system is starting up")
        return await opener.open(url, pool_size)

    running = await start_desk(local_settings(tmp_path, connector), connector, open_db=not_yet_then_up)
    try:
        assert len(attempts) == 3
        status, _ = await running.send(customer_chat.message("hello"))
        assert status in (200, 201)
    finally:
        await running.close()
