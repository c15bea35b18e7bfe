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
from desk.store.conversations import Conversation
from desk.store.database import Cx
from desk.store.outbox import OutboxMessage
from desk.store.ratelimit import SqlSlotLog


@dataclass(frozen=True)
class Head:
    """A conversation's oldest due message, claimed, with where it goes."""

    message: OutboxMessage
    conversation: Conversation | None
    triage: bool  # the conversation is the triage channel, whose refusals hold messages rather than fail them

    def sends(self, policy: SendPolicy) -> bool:
        """Whether a request will be made (else the message is failed, or held, without one)."""
        conversation = self.conversation
        if conversation is None or not conversation.blocked_reason:
            return conversation is not None
        return self.triage and conversation.probes <= policy.max_probes  # a probe of the refused channel


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
    way). Touches nothing but the database: PostgreSQL may run it again after a serialization failure."""
    triage = conv_sql.get_meta(cx, TRIAGE_CHANNEL_KEY)
    log = SqlSlotLog(cx)
    claimed: list[Head] = []
    for message in outbox_sql.heads(cx, now, room, busy):
        conversation = conv_sql.get_conversation(cx, message.outgoing.conversation_key)
        head = Head(message, conversation, message.outgoing.conversation_key == triage)
        if conversation is not None and head.sends(policy):
            paces = (
                (outbox_sql.conversation_pace(conversation.key), policy.conversation_limits(conversation.kind)),
                (outbox_sql.tenant_pace(conversation.tenant_id), policy.tenant_limits),
            )
            windows = [ratelimit.read(log, key, limits, now) for key, limits in paces]
            opens = [window.earliest(now) for window in windows]
            if any(at > now for at in opens):
                # Filled by a claim just before in this pass (the tenant), by sends answered after their claims
                # (desk/ratelimit.py `answered`), or never noted (slots carried over by the upgrade): note when it
                # opens, so the next passes' query passes over it.
                for window, at in zip(windows, opens, strict=True):
                    if at > now:
                        log.set_next(window.key, at)
                continue
            owner = outbox_sql.pace_owner(message.id, message.attempts)  # moved to the answer's time after the send
            for window in windows:
                ratelimit.take(log, window.key, window.limits, now, owner, window)
        outbox_sql.claim(cx, message.id, holder, until)
        claimed.append(head)
    return claimed
