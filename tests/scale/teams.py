"""The Teams side of the scale tests: posting activities to an address (an instance or the proxy), customers who open
the ticket form and submit it, and what the local connector's log says was delivered."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from desk.store import outbox as outbox_sql
from desk.store.database import Database
from tests.bot.helpers import GOOD_TICKET, card_text, submit_target, submit_verbs
from tests.support.activities import Channel, Chat, TeamsUser
from tests.support.connector import LocalConnector, Reply, Sent

TICKET_NUMBER = re.compile(r"\bT-\d{4,}\b")
ANSWER_TIMEOUT = aiohttp.ClientTimeout(total=60)


async def post(url: str, activity: dict[str, Any]) -> tuple[int, Any]:
    """POST an activity to a messaging endpoint; (status, JSON body or None)."""
    async with (
        aiohttp.ClientSession(timeout=ANSWER_TIMEOUT) as session,
        session.post(url, json=activity) as answer,
    ):
        body = await answer.json() if answer.content_type == "application/json" else await answer.text()
        return answer.status, body


async def poll_until(check: Callable[[], bool | Awaitable[bool]], seconds: float, every: float = 0.2) -> None:
    """Wait until `check()` holds (asking every `every` seconds); TimeoutError after `seconds`."""
    async with asyncio.timeout(seconds):
        while True:
            done = check()
            if await done if inspect.isawaitable(done) else done:
                return
            await asyncio.sleep(every)


async def outbox_settled(db: Database, seconds: float = 60) -> None:
    """Wait until nothing is pending in the outbox, then a little more, for a send that would come twice."""

    async def empty() -> bool:
        return await db.read(outbox_sql.pending_count) == 0

    await poll_until(empty, seconds)
    await asyncio.sleep(1.5)


def replies_to(connector: LocalConnector, conversation_id: str, activity_id: str) -> list[Sent]:
    """What the bot sent to the conversation in reply to one inbound activity (the SDK sets replyToId)."""
    return [s for s in connector.sent_to(conversation_id) if s.body.get("replyToId") == activity_id]


async def set_triage_channel(url: str, channel: Channel, technician: TeamsUser) -> None:
    """`@Partner Desk triage here` in the channel."""
    status, body = await post(url, channel.message(technician, "triage here"))
    assert status in (200, 201), (status, body)


@dataclass
class Form:
    """A ticket form the customer was shown: the draft id its Submit carries, the message id it was posted as."""

    draft_id: str
    message_id: str | None


@dataclass
class Customer:
    """A customer in their personal chat, posting through `url`."""

    chat: Chat
    connector: LocalConnector
    url: str
    told: list[str] = field(default_factory=list)  # ticket numbers the bot told this customer

    async def open_form(self, attempts: int = 3) -> Form:
        """Type `new ticket` until the form comes (a copy of a message whose first instance died mid-turn is dropped
        while that instance's claim lasts: the customer types it again)."""
        for _ in range(attempts):
            activity = self.chat.message("new ticket")
            status, body = await post(self.url, activity)
            assert status in (200, 201), (status, body)
            forms = [s for s in replies_to(self.connector, self.chat.conversation_id, activity["id"]) if s.cards]
            forms = [s for s in forms if submit_verbs(s.cards[0])]
            if forms:
                return Form(submit_target(forms[-1].cards[0]), forms[-1].response_id)
        raise AssertionError(f"no ticket form for {self.chat.sender.name} after {attempts} tries")

    async def submit(self, form: Form, attempts: int = 3, **fields: str) -> str:
        """Click Submit until the answer names a ticket (a click whose first instance died mid-turn is answered
        "still working" while that instance's claim lasts: the customer clicks again); returns its number."""
        answers = []
        for _ in range(attempts):
            invoke = self.chat.invoke(
                "ticket.submit", form.draft_id, {**GOOD_TICKET, **fields}, replyToId=form.message_id
            )
            status, body = await post(self.url, invoke)
            answers.append((status, body))
            number = told_number(body) if status == 200 else None
            if number is not None:
                self.told.append(number)
                return number
            await asyncio.sleep(1)
        raise AssertionError(f"no ticket number in the answers to {self.chat.sender.name}'s submit: {answers}")


def told_number(body: Any) -> str | None:
    """The ticket number an invoke answer tells the customer (the status card after a submit), or None."""
    if not isinstance(body, dict) or "card.adaptive" not in str(body.get("type", "")):
        return None
    found = TICKET_NUMBER.search(card_text(body.get("value") or {}))
    return found.group(0) if found else None


def triage_threads(connector: LocalConnector, channel_id: str) -> Counter[str]:
    """How many triage cards (new channel threads) the connector delivered per ticket number."""
    counted: Counter[str] = Counter()
    for sent in connector.posts():
        if sent.path == "/v3/conversations" and sent.conversation_id == channel_id and sent.response_id:
            found = TICKET_NUMBER.search(card_text(sent.cards[0])) if sent.cards else None
            counted[found.group(0) if found else "?"] += 1
    return counted


class StampedConnector(LocalConnector):
    """The local connector, noting when each request arrived (time.monotonic, the clock of the tests' event loop)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: list[float] = []  # one per entry of `sent`, in the same order

    def _record(self, request: web.Request, body: dict[str, Any], conversation: str) -> Reply | None:
        reply = super()._record(request, body, conversation)
        with self._lock:  # the connector's one thread records requests in turn: the index stays `sent`'s
            self.arrived.append(time.monotonic())
        return reply


@dataclass(frozen=True)
class Repeated:
    """A request the connector delivered more than once with the same body to the same place."""

    path: str
    summary: str
    arrived: list[float]


def repeated_deliveries(connector: StampedConnector) -> list[Repeated]:
    """Messages sent twice: every message of the scenarios differs from the others (ticket numbers, draft ids,
    texts), so two deliveries of one body are one message sent twice."""
    copies: dict[tuple[str, str, str], list[float]] = {}
    with connector._lock:
        for sent, arrived in zip(connector.sent, connector.arrived, strict=True):
            if sent.response_id is not None or sent.method == "PUT":
                copies.setdefault((sent.method, sent.path, json.dumps(sent.body, sort_keys=True)), []).append(arrived)
    return [Repeated(path, body[:160], times) for (_, path, body), times in copies.items() if len(times) > 1]
