"""Inbound activities as the desk de-duplicates them. Teams redelivers an activity when the bot answered slowly
(after 15 s), failed or died; some duplicates even carry a new id (those are held by the tickets' and escalations'
own idempotency keys). An activity counts as processed once its turn completed, and each ticket change a turn
applies is recorded in the change's own transaction: a turn that died before committing is processed again on
redelivery, a change that committed is never applied twice, and a redelivered card action gets its first answer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# A card action's answer kept for its redeliveries: Teams caps a card at about 28 KB, so a bigger answer is not
# kept (a redelivery then gets a short "already done").
RESPONSE_LIMIT = 64_000


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
