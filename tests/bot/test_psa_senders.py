"""Two instances' PSA webhook senders on one database (each with its own connections), delivering at once to one
receiver: every event arrives once, in order per ticket."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from bot.jobs.psa_webhooks import WebhookSender
from desk.settings_psa import PsaSettings
from desk.store import events as event_sql
from desk.store import tickets as ticket_sql
from desk.store import webhooks as webhook_sql
from desk.store.database import Cx
from desk.store.events import Event
from desk.tickets import Product, Requester, Severity, TicketFields
from tests.bot.psa_rig import SECRET, Receiver
from tests.support.engines import open_test_database

TICKETS, REPLIES = 6, 4


def history(cx: Cx, index: int) -> None:
    now = datetime.now(UTC)
    requester = Requester("tenant-f", "Fabrikam, Inc.", "aad-megan", "Megan Bowen", "megan@f.example", "a:chat")
    fields = TicketFields(Product.M365, "Exchange Online", Severity.MINIMAL, f"Problem {index}", "Broken.", "-")
    ticket_id = ticket_sql.insert_ticket(cx, f"key-{index}", requester, fields, now, (None, None))
    event_sql.add_event(cx, Event(ticket_id, now, "aad-megan", "Megan Bowen", "created"))
    for reply in range(REPLIES):
        event_sql.add_event(cx, Event(ticket_id, now, "aad-alex", "Alex Wilber", "reply", text=f"reply {reply}"))


async def test_two_instances_deliver_every_event_once_in_order_per_ticket(tmp_path):
    receiver = Receiver()
    url = await receiver.start()
    first, second = await open_test_database(tmp_path), await open_test_database(tmp_path)
    http = httpx.AsyncClient()
    try:
        await first.run(lambda cx: webhook_sql.sync_targets(cx, [url], datetime.now(UTC)))
        for index in range(TICKETS):
            await first.run(lambda cx, index=index: history(cx, index))
        settings = PsaSettings(urls=(url,), secret=SECRET)
        senders = [WebhookSender(db, http, settings, holder) for db, holder in ((first, "one"), (second, "two"))]

        async with asyncio.timeout(60):
            await asyncio.gather(*(sender.drain() for sender in senders))
    finally:
        await http.aclose()
        await receiver.stop()
        await first.close()
        await second.close()

    assert receiver.bad == []
    assert len(receiver.accepted) == len(receiver.requests) == TICKETS * (1 + REPLIES), "each once"
    for index in range(TICKETS):
        number = f"T-{1001 + index}"
        texts = [p["change"].get("text") for p in receiver.accepted if p["ticket"]["number"] == number]
        assert texts == [None, *(f"reply {n}" for n in range(REPLIES))], f"{number} in order"


async def send_once(tmp_path, answer: Callable[[httpx.Request], httpx.Response], max_attempts: int) -> list[dict]:
    """One ticket's creation sent by a sender whose HTTP answers are `answer`'s; the deliveries' rows afterwards."""
    db = await open_test_database(tmp_path)
    url = "https://psa.example/hook"
    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    try:
        await db.run(lambda cx: webhook_sql.sync_targets(cx, [url], datetime.now(UTC)))
        await db.run(lambda cx: history(cx, 0))
        settings = PsaSettings(urls=(url,), secret=SECRET, max_attempts=max_attempts)
        async with asyncio.timeout(30):
            await WebhookSender(db, http, settings, "one").drain()
        return await db.run(
            lambda cx: cx.all("SELECT attempts, state, claimed_by, last_error FROM psa_webhooks ORDER BY event_id")
        )
    finally:
        await http.aclose()
        await db.close()


async def test_a_2xx_whose_body_cannot_be_decoded_is_delivered(tmp_path):
    # The PSA took the event; what its answer's body holds (here a Content-Encoding it does not keep to) is not ours
    # to read.
    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip"))

    rows = await send_once(tmp_path, answer, 3)

    assert [row["state"] for row in rows] == ["delivered"] * (1 + REPLIES)


async def test_an_unexpected_error_in_a_send_counts_as_an_attempt(tmp_path):
    def broken(request: httpx.Request) -> httpx.Response:
        # What msapi/aiohttp_transport.py raised for a reason phrase outside Latin-1: no httpx error.
        raise UnicodeEncodeError("latin-1", "Окей", 0, 1, "ordinal not in range(256)")

    rows = await send_once(tmp_path, broken, 1)

    assert rows[0] == {
        "attempts": 1,
        "state": "failed",
        "claimed_by": None,
        "last_error": "UnicodeEncodeError (gave up after 1 attempts)",
    }, "recorded, not left claimed to be sent again, uncounted, each time the claim expires"
