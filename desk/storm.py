"""Storm mode: a triage channel whose queue holds more than Teams lets through in about half a minute stops getting one
card per new ticket. The new tickets' cards are kept back (desk/store/storm.py); the channel gets one summary card,
sent ahead of its queue (outbox priority) and updated in place at most every `summary_every` seconds; the kept-back
cards are released into the queue as it drains — critical first, then oldest first — keeping the channel's queue under
the threshold. Each is drawn from the ticket as it is when released, so updates of a card not yet posted are dropped,
and replies in its thread wait (outbox status 'deferred') and follow its post, in their order.

Why: Teams lets a bot send about 2 messages a second to one conversation (bot/outbox/send_policy.py); a burst of
1,600 tickets would otherwise reach the channel over 14 minutes, the last ticket's card last. The summary names every
new ticket within seconds, whatever the queue.

Everything is in the database, each step one transaction: the decision to keep a card back is taken in the
transaction that creates the ticket (`queue`), and a periodic job (one instance at a time) runs `storm_round`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from desk.outbox import Card, Operation, Outgoing
from desk.ratelimit import Limits
from desk.store import conversations as conv_sql
from desk.store import incidents as incident_sql
from desk.store import outbox as outbox_sql
from desk.store import storm as storm_sql
from desk.store import tickets as ticket_sql
from desk.store.conversations import Conversation
from desk.store.database import Cx
from desk.store.incidents import LinkedIncident
from desk.store.storm import StormTicket
from desk.tickets import Ticket

SUMMARY_PRIORITY = 1  # ahead of every ordinary message of the channel
STORM_WINDOW_SECONDS = 30.0  # a queue Teams clears in this long is no storm


def threshold_for(limits: Limits, seconds: float = STORM_WINDOW_SECONDS) -> int:
    """How many sends `limits` let through in `seconds` at most (the tightest of its windows): for Teams' channel
    limits (7/1 s, 8/2 s, 60/30 s) and 30 s, 60."""
    return min(count * max(1, int(seconds // window)) for count, window in limits.windows)


@dataclass(frozen=True)
class StormPolicy:
    """When a channel is in storm, and how often its summary changes. `threshold` 0 turns storm mode off."""

    threshold: int = 60
    summary_every: float = 10.0


def summary_key(conversation_key: str, seq: int) -> str:
    """The summary card's key (desk/store/outbox.py posted_cards): one card per storm of each channel."""
    return f"storm:{conversation_key}:{seq}"


def queue(cx: Cx, items: list[Outgoing], now: datetime, policy: StormPolicy) -> int:
    """Queue `items`, in order, keeping back the triage cards' posts of channels in storm (the first one kept back
    puts its channel in storm); returns how many were kept back."""
    kept = 0
    for item in items:
        if _card_post(item) and policy.threshold > 0 and _stormy(cx, item.conversation_key, policy):
            assert item.ticket_id is not None
            seq = storm_sql.begin(cx, item.conversation_key, now)
            storm_sql.keep_back(cx, item.conversation_key, item.ticket_id, seq, now)
            outbox_sql.assign_triage_channel(cx, item.conversation_key, item.ticket_id)  # where its card will live
            kept += 1
        else:
            outbox_sql.enqueue(cx, [item], now)
    return kept


def _card_post(item: Outgoing) -> bool:
    return item.operation is Operation.POST and item.card is Card.TRIAGE and item.ticket_id is not None


def _stormy(cx: Cx, conversation_key: str, policy: StormPolicy) -> bool:
    """Whether a new card for the channel waits: others already wait (they go first), or its queue is full."""
    return storm_sql.waiting(cx, conversation_key) > 0 or outbox_sql.pending_ordinary(cx, conversation_key) >= (
        policy.threshold
    )


@dataclass(frozen=True)
class StormView:
    """What a summary card shows."""

    seq: int
    started_at: datetime
    tickets: list[StormTicket]
    over: bool


# Draws a released ticket's card, and the summary (an activity), from the stored state (bot/features/storm.py): pure,
# they run inside the transaction.
CardOf = Callable[[Conversation, Ticket, list[LinkedIncident]], Outgoing]
SummaryOf = Callable[[Conversation, StormView], dict[str, Any]]


@dataclass(frozen=True)
class RoundResult:
    """What one round did for one channel."""

    conversation_key: str
    released: int
    summary: str | None  # "post", "update", "replaced" or None (unchanged, or not due yet)
    over: bool


def storm_round(
    cx: Cx, conversation_key: str, now: datetime, policy: StormPolicy, card_of: CardOf, summary_of: SummaryOf
) -> RoundResult:
    """One channel's round: release kept-back cards into the room its queue has, bring the summary up to date when
    it changed and is due (at once when the storm is over), end the storm when nothing is kept back, no released
    card waits and the queue is under the threshold. One transaction, no side effect outside it."""
    current = storm_sql.storm(cx, conversation_key)
    channel = conv_sql.get_conversation(cx, conversation_key)
    if current is None or not current.active or channel is None:
        return RoundResult(conversation_key, 0, None, False)
    # Storm mode switched off (threshold 0) while a channel was in storm: nothing else would ever post the cards it
    # kept back, so they all go now (at the channel's pace, like any card) and the storm ends once they are posted.
    off = policy.threshold <= 0
    room = (
        storm_sql.waiting(cx, conversation_key)
        if off
        else policy.threshold - outbox_sql.pending_ordinary(cx, conversation_key)
    )
    released = 0
    for ticket_id in storm_sql.next_waiting(cx, conversation_key, room) if room > 0 else []:
        storm_sql.released(cx, conversation_key, ticket_id, now)
        ticket = ticket_sql.get_ticket(cx, ticket_id)
        if ticket is not None:
            card = card_of(channel, ticket, incident_sql.incidents_of_ticket(cx, ticket_id))
            outbox_sql.enqueue(cx, [card], now)
            outbox_sql.requeue_deferred(cx, conversation_key, ticket_id, now)
        released += 1
    over = (
        storm_sql.waiting(cx, conversation_key) == 0
        and storm_sql.posts_under_way(cx, conversation_key, current.seq) == 0
        and (off or outbox_sql.pending_ordinary(cx, conversation_key) < policy.threshold)
    )
    tickets = storm_sql.storm_tickets(cx, conversation_key, current.seq)
    digest = _digest(tickets, over)
    due = current.summary_at is None or now - current.summary_at >= timedelta(seconds=policy.summary_every)
    queued = None
    if digest != current.summary_digest and (due or over):
        activity = summary_of(channel, StormView(current.seq, current.started_at, tickets, over))
        summary = Outgoing(
            conversation_key,
            Operation.POST,
            activity,
            card_key=summary_key(conversation_key, current.seq),
            priority=SUMMARY_PRIORITY,
        )
        queued = outbox_sql.upsert_card(cx, summary, now)
        storm_sql.summarised(cx, conversation_key, now, digest)
    if over:
        storm_sql.end(cx, conversation_key, now)
    return RoundResult(conversation_key, released, queued, over)


def _digest(tickets: list[StormTicket], over: bool) -> str:
    """What the summary shows, in short: it is sent again only when this changes."""
    shown = [[t.ticket_id, t.severity, t.posted, t.released, list(t.incidents)] for t in tickets]
    return hashlib.sha256(json.dumps([over, shown]).encode()).hexdigest()
