"""A local Bot Connector that enforces Teams' send limits, as the fan-out benchmark's Teams: each send to a
conversation is counted, on arrival, against that conversation's windows and its tenant's, and one that would exceed
a window is answered 429 with Retry-After (the seconds until that window has room, rounded up); besides, a seeded
fraction of sends is answered 429 at random, as Teams does under its own load.

The limits, https://learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit ("Per bot per thread limit"):
sending to one conversation may take 7 operations in 1 s, 8 in 2 s, 60 in 30 s and 1,800 in 3,600 s (the last "only if
multiple bot messages are sent to a single user": a personal chat); "the global limit per app per tenant" is 30
requests per second in the page's versions that say 30, 50 in later ones. The tenant limit here is the desk's own
(bot/outbox/send_policy.py keeps the lower, 30): a desk that never exceeds it never exceeds 50 either.

A request refused with 429 is not counted in the windows (Teams does not document whether it counts them; counting
them would only make a desk that retries look slower, not a fast one look slow). Every accepted send is kept with
its arrival time, so that `exceeded()` can check the windows over the whole run afterwards.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Iterable

from aiohttp import web

from bot.outbox.send_policy import PERSONAL_LIMITS, TENANT_LIMITS
from desk.ratelimit import Limits
from tests.support.connector import LocalConnector

RANDOM_RETRY_AFTER = 1  # seconds: the Retry-After of a random 429 (Teams sends whole seconds)


class TeamsLimitsConnector(LocalConnector):
    """Sends to personal chats of known tenants, held to Teams' per-conversation and per-tenant windows."""

    def __init__(
        self,
        tenant_of: dict[str, str],
        random_429: float = 0.0,
        seed: int = 13,
        conversation_limits: Limits = PERSONAL_LIMITS,
        tenant_limits: Limits = TENANT_LIMITS,
    ) -> None:
        super().__init__()
        self.tenant_of = tenant_of  # conversation id -> tenant id (Teams knows each conversation's tenant)
        self.random_429 = random_429
        self.seed = seed
        self.conversation_limits = conversation_limits
        self.tenant_limits = tenant_limits
        self.accepted: dict[str, list[float]] = defaultdict(list)  # conversation -> arrival of each accepted send
        self.by_tenant: dict[str, list[float]] = defaultdict(list)
        self.over_limit: Counter[str] = Counter()  # tenant -> sends refused for exceeding a window
        self.random_refused: Counter[str] = Counter()  # tenant -> sends refused at random
        self.requests: Counter[str] = Counter()  # tenant -> sends made, refused or not
        self._attempts: Counter[str] = Counter()
        self._windows: dict[str, deque[float]] = defaultdict(deque)
        self._gate = threading.Lock()

    async def _send(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        arrived = time.monotonic()
        tenant = self.tenant_of.get(conversation, "")
        with self._gate:
            self.requests[tenant] += 1
            conversation_key, tenant_key = f"c:{conversation}", f"t:{tenant}"
            wait = max(
                _room_in(self._windows[conversation_key], self.conversation_limits, arrived),
                _room_in(self._windows[tenant_key], self.tenant_limits, arrived),
            )
            if wait > 0:
                self.over_limit[tenant] += 1
                return _throttled(max(1, math.ceil(wait)), "the conversation's or tenant's rate limit is exceeded")
            # The draw counts the sends that were not refused for a limit: the same sends are refused at random
            # however often a desk runs into the limits.
            attempt = self._attempts[conversation]
            self._attempts[conversation] += 1
            if unlucky(self.seed, self.random_429, conversation, attempt):
                self.random_refused[tenant] += 1
                return _throttled(RANDOM_RETRY_AFTER, "throttled")
            self._windows[conversation_key].append(arrived)
            self._windows[tenant_key].append(arrived)
            self.accepted[conversation].append(arrived)
            self.by_tenant[tenant].append(arrived)
        return await super()._send(request)

    def exceeded(self) -> list[str]:
        """Every window that the accepted sends exceeded over the run (none: the connector kept the limits)."""
        with self._gate:
            found = [f"chat {c}" for c, at in self.accepted.items() if over_limits(at, self.conversation_limits)]
            found += [f"tenant {t}" for t, at in self.by_tenant.items() if over_limits(at, self.tenant_limits)]
        return found


def unlucky(seed: int, rate: float, conversation: str, attempt: int) -> bool:
    """Whether the connector refuses a conversation's `attempt`-th send (0 first) at random: a seeded draw per
    (conversation, attempt), so the same sends are refused in every run whatever order the desk sends in, and the
    floor can count what they cost."""
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"{seed}:{conversation}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def _room_in(window: deque[float], limits: Limits, now: float) -> float:
    """Seconds until one more send fits every window of `limits`, given the accepted sends in `window` (0: now).
    Forgets sends older than the longest window."""
    longest = max(seconds for _, seconds in limits.windows)
    while window and window[0] <= now - longest:
        window.popleft()
    wait = 0.0
    for count, seconds in limits.windows:
        if len(window) >= count:
            nth = window[-count]  # the count-th newest: one more send now makes count + 1 if it is in the window
            if nth > now - seconds:
                wait = max(wait, nth + seconds - now)
    return wait


def over_limits(arrivals: Iterable[float], limits: Limits) -> bool:
    """Whether some `seconds`-long window (a, a + seconds] holds more than `count` of `arrivals`."""
    ordered = sorted(arrivals)
    for count, seconds in limits.windows:
        for index in range(count, len(ordered)):
            if ordered[index] - ordered[index - count] < seconds:
                return True
    return False


def _throttled(retry_after: int, message: str) -> web.Response:
    body = {"error": {"code": "Throttled", "message": message}}
    return web.json_response(body, status=429, headers={"Retry-After": str(retry_after)})
