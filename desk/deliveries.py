"""Inbound activities as the desk de-duplicates them. Teams redelivers an activity when the bot answered slowly
(after 15 s), failed or died; some duplicates even carry a new id (those are held by the tickets' and escalations'
own idempotency keys). A turn claims its activity while it runs, and the activity counts as processed once the turn
completed; each ticket change a turn applies is recorded in the change's own transaction. So a copy that arrives
while the first still runs is not processed again (its replies would go out twice); a turn that died is processed
again on redelivery; a change that committed is never applied twice; and a redelivered card action gets its first
answer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

# A card action's answer kept for its redeliveries: Teams caps a card at about 28 KB, so a bigger answer is not
# kept (a redelivery then gets a short "already done").
RESPONSE_LIMIT = 64_000
# How long a process's claim of a turn holds against another process (one that died cannot release it): longer than
# any turn should take; a redelivery after it is processed again.
TURN_LEASE = timedelta(seconds=60)
# How long a copy of an activity whose first turn still runs waits for that turn to complete or its holder to die
# (desk/instances.py: no shorter than a heartbeat's validity), checking this often. Teams waits 15 s for an answer.
COPY_WAIT_SECONDS = 10.0
COPY_POLL_SECONDS = 0.2


class ClaimState(StrEnum):
    """What a delivery of an inbound activity finds."""

    NEW = "new"  # process it
    RUNNING = "running"  # another copy is being processed
    DONE = "done"  # its turn completed


@dataclass(frozen=True)
class Claim:
    """A claim's outcome; `response` is a completed card action's kept answer (as stored); `here` says a RUNNING turn
    runs in this process."""

    state: ClaimState
    response: str | None = None
    here: bool = False  # RUNNING in this very process


@dataclass(frozen=True)
class Delivered:
    """An inbound activity whose turn completed; `response` is a card action's answer (None when not kept)."""

    response: dict[str, Any] | None


@dataclass
class Delivery:
    """The inbound activity a turn is processing. Each ticket change the turn applies gets the next key, the
    same on every delivery of the activity (handlers apply their changes in a fixed order)."""

    key: str
    _changes: int = field(default=0, repr=False)

    def next_change(self) -> str:
        """The key under which the turn's next change is applied at most once."""
        self._changes += 1
        return f"{self.key}#{self._changes}"


def encode_response(response: dict[str, Any] | None) -> str | None:
    """A card action's answer as kept, or None when there is none or it is too big to keep."""
    if response is None:
        return None
    text = json.dumps(response, ensure_ascii=False)
    return text if len(text.encode("utf-8")) <= RESPONSE_LIMIT else None


def decode_response(text: str | None) -> dict[str, Any] | None:
    """The kept answer."""
    return json.loads(text) if text else None
