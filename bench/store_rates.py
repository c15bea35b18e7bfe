"""Write rates of `python -m bench.store`: tickets created through the desk's own service (and, as the baseline,
through the store's statements as they were before migration 14, on a database of the same rows and the schema
before it), and outbox heads claimed and recorded the way the sender does it (bot/outbox/claims.py)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from bot.outbox.claims import claim_heads
from bot.outbox.send_policy import SendPolicy
from desk.outbox import Card, Operation, Outgoing
from desk.service import Desk
from desk.store import conversations as conv_sql
from desk.store import database
from desk.store import events as event_sql
from desk.store import outbox as outbox_sql
from desk.store import tickets as ticket_sql
from desk.store.conversations import Conversation
from desk.store.database import Cx, Database
from desk.store.events import Event
from desk.store.schema import MIGRATIONS
from desk.tickets import Product, Requester, Severity, Ticket, TicketFields

TRIAGE = "19:triage-channel@thread.tacv2"


@contextlib.contextmanager
def schema_before_issue_13() -> Iterator[None]:
    """Databases opened meanwhile are migrated up to, not including, migration 14 (the queue's and search's), plus
    the later migrations that add columns today's statements name: the routing migration's ticket column that every
    ticket read names (desk/store/tickets.py), the storm migration's outbox priority every enqueue names
    (desk/store/outbox.py), and the PSA bridge's tables every ticket event looks up (desk/store/webhooks.py)."""
    mine = next(i for i, m in enumerate(MIGRATIONS) if "ALTER TABLE tickets ADD COLUMN next_alert_at TEXT" in m)
    named = (
        "ALTER TABLE tickets ADD COLUMN triage_channel TEXT",
        "ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0",
        "CREATE TABLE psa_targets (url TEXT PRIMARY KEY, added_at TEXT NOT NULL)",
    )
    later = [next(m for m in MIGRATIONS if column in m) for column in named]
    saved = database.MIGRATIONS
    database.MIGRATIONS = [*MIGRATIONS[:mine], *later]
    try:
        yield
    finally:
        database.MIGRATIONS = saved


def new_ticket(index: int) -> tuple[str, Requester, TicketFields]:
    """The idempotency key, requester and form of the `index`-th ticket created by the benchmark."""
    requester = Requester(
        tenant_id=f"{index % 97:08d}-bench",
        customer_name=f"Bench Customer {index % 97}",
        aad_id=f"requester-{index % 400}",
        name="Bench Requester",
        email="requester@bench.example",
        conversation_key=f"a:personal-bench-{index % 400}",
    )
    form = TicketFields(
        product=Product.M365,
        service="Exchange Online",
        severity=(Severity.CRITICAL, Severity.MODERATE, Severity.MINIMAL)[index % 3],
        title=f"Outlook keeps asking for the password (bench {index})",
        description="Since 09:15 nobody in the Leeds office can send mail. " * 6,
        contact="+44 113 496 0000",
    )
    return f"bench-new-{index}", requester, form


def notices(ticket: Ticket) -> list[Outgoing]:
    """What a new ticket queues: its card to the customer and to the triage channel (a card's worth of JSON)."""
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": ticket.fields.title}] * 12}
    attachment = {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
    activity = {"type": "message", "attachments": [attachment]}
    return [
        Outgoing(ticket.requester.conversation_key, Operation.POST, activity, ticket.id, Card.CUSTOMER),
        Outgoing(TRIAGE, Operation.POST, activity, ticket.id, Card.TRIAGE),
    ]


async def create_through_desk(desk: Desk, count: int) -> tuple[float, list[Ticket]]:
    """Seconds to create `count` tickets one after another through desk.create_ticket, and the tickets."""
    made = []
    started = time.perf_counter()
    for index in range(count):
        key, requester, form = new_ticket(index)
        made.append((await desk.create_ticket(key, requester, form, notices)).ticket)
    return time.perf_counter() - started, made


async def create_as_before(db: Database, count: int, now: datetime, dues: Callable[[Severity], Any]) -> float:
    """Seconds to create `count` tickets with the statements create_ticket ran before issue 13 (no alert plan)."""
    started = time.perf_counter()
    for index in range(count):
        key, requester, form = new_ticket(index)

        def work(cx: Cx, key: str = key, requester: Requester = requester, form: TicketFields = form) -> None:
            if ticket_sql.ticket_by_key(cx, key) is not None:
                return
            ticket_id = ticket_sql.insert_ticket(cx, key, requester, form, now, dues(form.severity))
            event_sql.add_event(cx, Event(ticket_id, now, requester.aad_id, requester.name, "created"))
            ticket = ticket_sql.get_ticket(cx, ticket_id)
            assert ticket is not None
            outbox_sql.enqueue(cx, notices(ticket), now)

        await db.run(work)
    return time.perf_counter() - started


async def claim_all(db: Database, messages: int, now: datetime) -> tuple[float, dict[int, int]]:
    """Queue `messages` messages, one per personal chat over a hundred tenants, then claim and record them as the
    sender does (16 heads a claim, each recorded in its own transaction) until none is left. Seconds taken, and
    how many times each message was claimed."""
    policy = SendPolicy()

    def setup(cx: Cx) -> None:
        for n in range(messages):
            key = f"a:bench-chat-{n}"
            reference = {"conversation": {"id": key}}
            chat = Conversation(key, reference, "https://smba.example/", f"tenant-{n % 100}", "personal")
            conv_sql.save_conversation(cx, chat, now)
            outbox_sql.enqueue(cx, [Outgoing(key, Operation.POST, {"type": "message", "text": f"notice {n}"})], now)

    await db.run(setup)
    claimed: dict[int, int] = {}
    started = time.perf_counter()
    clock = now
    while True:
        clock += timedelta(seconds=1)  # a sender's pass a second later: the tenants' slots of the last one are free
        heads = await db.run(
            lambda cx, at=clock: claim_heads(cx, "bench", at, at + timedelta(minutes=2), 16, frozenset(), policy)
        )
        if not heads:
            break
        for head in heads:
            claimed[head.message.id] = claimed.get(head.message.id, 0) + 1

            def record(cx: Cx, message_id: int = head.message.id, at: datetime = clock) -> None:
                if outbox_sql.unclaim(cx, message_id, "bench"):
                    outbox_sql.mark_sent(cx, message_id, f"activity-{message_id}", at)

            await db.run(record)
    return time.perf_counter() - started, claimed
