"""A sender's claim on the outbox, one transaction: the due heads of conversations whose send slots are open, each
marked as the sender's and its slots taken in the shared rate limiter (per conversation and per tenant), so that
every instance together stays inside Teams' limits and no message is sent by two of them.

A conversation that must wait (for its pace, a tenant's, or a Retry-After: its head's next attempt) is not claimed
at all: it holds no send slot and no task, and the claim query passes over it to the conversations that may send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.outbox.send_policy import SendPolicy
from desk import ratelimit
from desk.directory_service import TRIAGE_CHANNEL_KEY
from desk.store import conversations as conv_sql
from desk.store import outbox as outbox_sql
from desk.store import ratelimit as rate_sql
from desk.store import routes as route_sql
from desk.store.conversations import Conversation
from desk.store.database import Cx
from desk.store.outbox import OutboxMessage
from desk.store.ratelimit import SqlSlotLog


@dataclass(frozen=True)
class Head:
    """A conversation's oldest due message, claimed, with where it goes."""

    message: OutboxMessage
    conversation: Conversation | None
    triage: bool  # the conversation is a triage channel (the default or a route's): refusals hold its messages

    def sends(self, policy: SendPolicy) -> bool:
        """Whether a request will be made (else the message is failed, or held, without one)."""
        conversation = self.conversation
        if conversation is None or not conversation.blocked_reason:
            return conversation is not None
        return self.triage and conversation.probes <= policy.max_probes  # a probe of the refused channel


class Pacing:
    """A claim's view of the shared rate limiter: each key's window read once — a tenant's for as many slots as the
    claim may take — and the slots taken and the keys' next openings kept, to be written together."""

    def __init__(self, log: SqlSlotLog, now: datetime, room: int, policy: SendPolicy) -> None:
        self._log = log
        self._now = now
        self._room = room
        self._policy = policy
        self._windows: dict[str, ratelimit.Window] = {}
        self._slots: list[tuple[str, datetime, str | None]] = []
        self._nexts: dict[str, datetime] = {}

    def take(self, conversation: Conversation, owner: str) -> bool:
        """Take the conversation's and its tenant's slots now; False (nothing taken) when either must wait."""
        now, policy = self._now, self._policy
        windows = [
            self._window(outbox_sql.conversation_pace(conversation.key), policy.conversation_limits(conversation.kind)),
            self._window(outbox_sql.tenant_pace(conversation.tenant_id), policy.tenant_limits, self._room),
        ]
        opens = [window.earliest(now) for window in windows]
        if any(at > now for at in opens):
            # Filled by this claim (the tenant), by sends answered after their claims (desk/ratelimit.py
            # `answered`), or never noted (slots carried over by the upgrade): note when it opens, so the next
            # claims' query passes over it.
            self._nexts.update((window.key, at) for window, at in zip(windows, opens, strict=True) if at > now)
            return False
        for window in windows:
            after = window.with_slot(now)
            self._windows[window.key] = after
            self._slots.append((window.key, now, owner))
            self._nexts[window.key] = after.earliest(now)
        return True

    def write(self, cx: Cx) -> None:
        """Record the slots taken and the next openings (two statements)."""
        rate_sql.add_slots(cx, self._slots)
        rate_sql.set_next_many(cx, self._nexts)

    def _window(self, key: str, limits: ratelimit.Limits, adding: int = 1) -> ratelimit.Window:
        if key not in self._windows:
            self._windows[key] = ratelimit.read(self._log, key, limits, self._now, adding)
        return self._windows[key]


def claim_heads(
    cx: Cx,
    holder: str,
    now: datetime,
    until: datetime,
    room: int,
    busy: frozenset[str],
    policy: SendPolicy,
) -> list[Head]:
    """Claim up to `room` heads for `holder` until `until` (conversations in `busy` are the holder's own sends under
    way). Touches nothing but the database: PostgreSQL may run it again after a serialization failure.

    A handful of statements whatever the number of heads (each a round trip on PostgreSQL): the heads, their
    conversations, each conversation's window and each tenant's once; then the slots, the next openings and the
    claims, each written in one."""
    triage = route_sql.route_channel_keys(cx) | {conv_sql.get_meta(cx, TRIAGE_CHANNEL_KEY) or ""}
    messages = outbox_sql.heads(cx, now, room, busy)
    conversations = conv_sql.conversations_by_key(cx, {message.outgoing.conversation_key for message in messages})
    pacing = Pacing(SqlSlotLog(cx), now, room, policy)
    claimed: list[Head] = []
    for message in messages:
        key = message.outgoing.conversation_key
        conversation = conversations.get(key)
        head = Head(message, conversation, key in triage)
        # The slots are moved to when Teams answered, after the send (bot/outbox/outcomes.py).
        owner = outbox_sql.pace_owner(message.id, message.attempts)
        if conversation is not None and head.sends(policy) and not pacing.take(conversation, owner):
            continue
        claimed.append(head)
    pacing.write(cx)
    outbox_sql.claim(cx, [head.message.id for head in claimed], holder, until)
    return claimed
