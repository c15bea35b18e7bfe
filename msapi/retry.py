"""The one retry policy for calls to Microsoft's APIs: honour Retry-After on 429, back off with jitter on
transient failures (and on a 429 without Retry-After, which some Graph resources send), give up after a bounded
number of attempts (https://learn.microsoft.com/graph/throttling#best-practices-to-handle-throttling,
https://learn.microsoft.com/partner-center/developer/api-throttling-guidance)."""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts, and how long to wait between them."""

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    # A Retry-After longer than this is not waited for: the call fails and the caller decides.
    max_retry_after: float = 120.0
    jitter: float = 0.2

    def backoff(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Exponential delay before retry number `attempt` (1-based), with +/- jitter."""
        # int ** int is Any to type checkers (a negative exponent gives a float); attempt >= 1 here.
        delay: float = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return max(0.0, delay * (1 + self.jitter * (2 * rand() - 1)))


def retry_after_seconds(response: httpx.Response, now: datetime | None = None) -> float | None:
    """The Retry-After header in seconds (it may be a number, fractional as Graph sends it, or an HTTP date), or
    None."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # the obsolete asctime form carries no zone; HTTP dates are always GMT
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


async def send_with_retries(
    send: Callable[[], Awaitable[httpx.Response]],
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    on_throttled: Callable[[float], None] | None = None,
) -> httpx.Response:
    """Call `send` until it gives a non-retryable answer or attempts run out; returns the last response.

    Transport errors (timeouts, refused connections) are retried the same way and re-raised at the end. Every 429
    is reported to `on_throttled` with the wait it calls for (its Retry-After, else the backoff), the last attempt's
    and one beyond the ceiling included, so calls other than this one can hold off too.
    """
    for attempt in range(1, policy.attempts + 1):
        last = attempt == policy.attempts
        try:
            response = await send()
        except (httpx.TimeoutException, httpx.TransportError):
            if last:
                raise
            await sleep(policy.backoff(attempt))
            continue
        if response.status_code not in RETRYABLE_STATUS:
            return response
        # Graph also sends Retry-After with some 503s; wherever the server names a wait, it wins.
        named = retry_after_seconds(response) if response.status_code in (429, 503) else None
        wait = named if named is not None else policy.backoff(attempt)
        if response.status_code == 429 and on_throttled is not None:
            on_throttled(wait)
        if last or (named is not None and named > policy.max_retry_after):
            return response
        await sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover
