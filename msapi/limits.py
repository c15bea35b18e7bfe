"""What a client asks before each request, so the app stays inside an API's published limits instead of learning them
from 429s. Microsoft counts the app's requests, not one process's: the limiter is the desk's, its state in the
database and shared by every instance (desk/ratelimit.py SharedRateLimiter, injected by bot/runtime.py). msapi only
names what it needs of it."""

from __future__ import annotations

from typing import Protocol

# (requests, seconds) windows, as a limiter's limits.
Windows = tuple[tuple[int, float], ...]


class RateLimit(Protocol):
    """Slots per key (a tenant id, compared without case) under one API's limits."""

    async def acquire(self, key: str) -> None:
        """Return once one more request under `key` fits every window, having counted it (waiting when it must)."""
        ...
