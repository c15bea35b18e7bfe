"""Outbound messages, written in the same transaction as the change they announce and delivered later (as stored:
desk/store/outbox.py OutboxMessage)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Operation(StrEnum):
    """How a message reaches its conversation."""

    POST = "post"  # a new message (in a channel: a new thread)
    REPLY = "reply"  # a reply in the thread of a ticket's triage card
    UPDATE = "update"  # replace an earlier message in place


class Card(StrEnum):
    """Ticket messages whose activity id is remembered so they can be updated or replied to."""

    TRIAGE = "triage"
    CUSTOMER = "customer"


@dataclass(frozen=True)
class Outgoing:
    """A message to deliver. `activity` is a Bot Framework activity as JSON (type, text, attachments...).

    POST with `card` records the new activity's id on the ticket, and with `card_key` under that key; REPLY and
    UPDATE with `card` or `card_key` target the activity so recorded; UPDATE with `target_activity_id` targets that
    activity directly. `thread_id` is the root message of the channel thread a REPLY or UPDATE belongs to.
    """

    conversation_key: str
    operation: Operation
    activity: dict[str, Any]
    ticket_id: int | None = None
    card: Card | None = None
    target_activity_id: str | None = None
    card_key: str | None = None
    thread_id: str | None = None
    # Higher goes first in its conversation (a storm summary, desk/storm.py); equal priorities keep their order.
    priority: int = 0
