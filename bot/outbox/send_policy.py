"""What the outbound sender does with each answer from Teams: its limits, which statuses are retried, and when a
404 concerns one message rather than the whole conversation.

Teams' limits, https://learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit ("Per bot per thread
limit"): a thread is a 1:1 chat, a group chat or a channel; sending to one (or creating a conversation there) may take
7 operations in 1 s, 8 in 2 s, 60 in 30 s and 1,800 in 3,600 s, but "the thread limit of 3600 seconds and 1800
operations applies only if multiple bot messages are sent to a single user" — a personal chat, not a channel or group
chat. "The global limit per app per tenant is 50 Requests Per Second" (earlier versions of the page said 30; we keep
the lower). The limits hold for all instances together: desk/ratelimit.py keeps them in the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from desk.outbox import Operation, Outgoing
from desk.ratelimit import Limits
from desk.store.conversations import Conversation

THREAD_LIMITS = Limits(((7, 1.0), (8, 2.0), (60, 30.0)))
PERSONAL_LIMITS = Limits(((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0)))
TENANT_LIMITS = Limits(((30, 1.0),))

RETRY_WITH_BACKOFF = frozenset({412, 502, 503, 504})
GONE = frozenset({403, 404})


@dataclass(frozen=True)
class SendPolicy:
    """Pacing, claims and retry limits."""

    thread_limits: Limits = THREAD_LIMITS  # a channel or a group chat
    personal_limits: Limits = PERSONAL_LIMITS
    tenant_limits: Limits = TENANT_LIMITS
    max_attempts: int = 10
    base_delay: float = 1.0
    max_delay: float = 300.0
    max_retry_after: float = 600.0
    concurrency: int = 8  # messages a sender claims and sends at once (a claim is made only when it can be sent)
    # A send gives up after `send_timeout` (and is retried); a claim outlives it by a margin, so a live sender's claim
    # never expires under it, while a dead sender's message is taken over by another after `claim_ttl`.
    send_timeout: float = 60.0
    claim_ttl: float = 120.0
    idle_poll: float = 2.0  # also how soon a sender sees heads that another instance's sends made due
    # A triage channel that refuses the bot holds its messages and is probed with its oldest one: first after
    # `first_probe` seconds, each wait twice the last up to `max_probe_delay`, `max_probes` times (about a day);
    # then it waits for a technician to type `triage here`.
    first_probe: float = 60.0
    max_probe_delay: float = 3600.0
    max_probes: int = 30

    def __post_init__(self) -> None:
        if self.claim_ttl <= self.send_timeout:
            raise ValueError("a claim must outlive the send it covers")

    def conversation_limits(self, kind: str) -> Limits:
        """The limits of one conversation of `kind` (personal, channel, groupChat)."""
        return self.personal_limits if kind == "personal" else self.thread_limits

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
