"""How many database transactions a turn costs: each is a hop to the database thread and back (SQLite) or a round
trip to the server (PostgreSQL), so what one transaction can read or write is not spread over several. The outbox
sender's own passes are not the turn's and are not counted."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from typing import Any

import pytest

from tests.bot.helpers import GOOD_TICKET, open_form, set_triage_channel
from tests.support.activities import Channel, Chat, TeamsUser
from tests.support.harness import Desk


class Transactions:
    """Counts the desk's transactions (run and read) made outside the outbox sender, by the function that asked."""

    def __init__(self) -> None:
        self.made: list[str] = []
        self.counting = False

    def note(self) -> None:
        if not self.counting:
            return
        frames = traceback.extract_stack()[:-2]  # less this method and the counting wrapper
        if any(frame.filename.endswith("bot/outbox/sender.py") for frame in frames):
            return
        ours = [f for f in frames if "/desk/" in f.filename or "/bot/" in f.filename or "/msapi/" in f.filename]
        self.made.append(" < ".join(frame.name for frame in reversed(ours[-3:])))


@pytest.fixture
def transactions(desk: Desk) -> Iterator[Transactions]:
    counter = Transactions()
    db = desk.runtime.db
    run, read = db.run, db.read

    async def counted_run(work: Any) -> Any:
        counter.note()
        return await run(work)

    async def counted_read(work: Any) -> Any:
        counter.note()
        return await read(work)

    db.run, db.read = counted_run, counted_read  # type: ignore[method-assign]
    yield counter
    db.run, db.read = run, read  # type: ignore[method-assign]


async def test_a_customers_message_takes_five_transactions(
    desk: Desk, customer_chat: Chat, transactions: Transactions
) -> None:
    assert (await desk.send(customer_chat.message("help")))[0] == 201  # the chat is known from now on
    transactions.counting = True

    assert (await desk.send(customer_chat.message("help")))[0] == 201

    # claim the activity; remember the chat; the dialog state; the support profile; complete the activity
    assert len(transactions.made) == 5, transactions.made


async def test_a_ticket_submit_and_its_incident_check_take_at_most_twelve_transactions(
    desk: Desk, customer_chat: Chat, triage_channel: Channel, technician: TeamsUser, transactions: Transactions
) -> None:
    await set_triage_channel(desk, triage_channel, technician)
    draft, _ = await open_form(desk, customer_chat)
    transactions.counting = True

    status, body = await desk.send(customer_chat.invoke("ticket.submit", draft, GOOD_TICKET))
    await desk.runtime.services.spawner.drain()  # the incident check the ticket started

    assert status == 200 and "T-1001" in str(body["value"])
    turn = [
        "claim the activity",
        "remember the chat",
        "the draft",
        "the triage channel and who refreshes cards",
        "create the ticket and queue its card",
        "complete the activity",
    ]
    incident_check = [
        "the triage channel and who refreshes cards",
        "the chat",
        "known incidents",
        "link them",
    ]
    # Graph's shared rate limit, for the customer's open issues and its service overviews (the tenant's health is
    # read once, then cached): the two requests ask together and usually share one transaction (desk/ratelimit.py
    # serves callers that ask while a reservation is written by the next one), two when the first was already under
    # way as the second asked.
    limiter = [made for made in transactions.made if "_reserve_for_askers" in made]
    others = [made for made in transactions.made if "_reserve_for_askers" not in made]
    assert 1 <= len(limiter) <= 2, "\n".join(transactions.made)
    assert len(others) == len(turn) + len(incident_check), "\n".join(transactions.made)
