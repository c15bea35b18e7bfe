"""What the outbound sender does with each answer from Teams: its limits, which statuses are retried, and when a
404 concerns one message rather than the whole conversation."""

from __future__ import annotations

from dataclasses import dataclass

from desk.outbox import Operation, Outgoing
from desk.store.conversations import Conversation

RETRY_WITH_BACKOFF = frozenset({412, 502, 503, 504})
GONE = frozenset({403, 404})


@dataclass(frozen=True)
class SendPolicy:
    """Pacing and retry limits (Teams: 7 messages/s per conversation, 30/s per app per tenant; see
    bot/outbox/pacing.py)."""

    per_conversation: float = 1 / 7
    per_tenant: float = 1 / 30
    max_attempts: int = 10
    base_delay: float = 1.0
    max_delay: float = 300.0
    max_retry_after: float = 600.0
    concurrency: int = 8  # requests to Teams at once
    max_in_flight: int = 200  # conversations being delivered at once (most of them waiting for their slot)
    # A conversation whose slot is at most this far off waits for it in its own delivery task, which holds up no
    # other conversation (the windows of seconds); one further off is rescheduled in the outbox instead.
    max_inline_wait: float = 2.5
    idle_poll: float = 2.0
    # A triage channel that refuses the bot holds its messages and is probed with its oldest one: first after
    # `first_probe` seconds, each wait twice the last up to `max_probe_delay`, `max_probes` times (about a day);
    # then it waits for a technician to type `triage here`.
    first_probe: float = 60.0
    max_probe_delay: float = 3600.0
    max_probes: int = 30

    def probe_delay(self, probes: int) -> float:
        """Seconds before the probe that follows `probes` refused ones."""
        return min(self.max_probe_delay, self.first_probe * 2 ** max(0, probes - 1))


def retry_after(response: object) -> float | None:
    """The seconds of a connector error response's Retry-After header, or None when absent or not a number."""
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def within_a_message(out: Outgoing, conversation: Conversation | None) -> bool:
    """Whether `out` addresses one message (an update, or a reply in a channel thread) rather than the whole
    conversation, so that a 404 means that message is gone, not that the bot was removed."""
    if out.operation is Operation.UPDATE:
        return True
    in_thread = out.operation is Operation.REPLY or out.thread_id is not None
    return in_thread and conversation is not None and conversation.kind == "channel"
