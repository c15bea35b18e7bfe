"""Teams' rate limits for a bot's sends, and the in-memory slots that space sends a few seconds apart.

https://learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit ("Per bot per thread limit"): a thread
is a 1:1 chat, a group chat or a channel; sending to one may take 7 operations in 1 s, 8 in 2 s, 60 in 30 s and 1,800
in 3,600 s, but "the thread limit of 3600 seconds and 1800 operations applies only if multiple bot messages are sent
to a single user" — a personal chat, not a channel or group chat. The global limit per app per tenant is 30 requests
a second (newer versions of the page say 50; we keep the lower).

Windows of seconds are held here, in memory (a restart takes longer than they last). Windows of minutes or more are
counted from the outbox's delivered messages (desk/store/outbox.py `window_opens`), so they hold across restarts
and instances, and a conversation that must wait that long is rescheduled in the outbox rather than waited on.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

Windows = tuple[tuple[int, float], ...]

SHORT_WINDOWS: Windows = ((8, 2.0),)
THREAD_WINDOWS: Windows = ((60, 30.0),)
PERSONAL_WINDOWS: Windows = ((60, 30.0), (1800, 3600.0))


def long_windows(kind: str) -> Windows:
    """The windows counted from the outbox for a conversation of `kind` (personal, channel, groupChat)."""
    return PERSONAL_WINDOWS if kind == "personal" else THREAD_WINDOWS


class Pacer:
    """Send slots per key, never waiting itself: at least `interval` seconds apart, and at most `count` slots in any
    `seconds`-long window for each (count, seconds) of `windows`. `earliest` only asks; `take` reserves."""

    def __init__(self, interval: float, windows: Windows = (), monotonic: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._windows = windows
        self._horizon = max([interval, *(seconds for _, seconds in windows)])
        self.now = monotonic
        self._slots: dict[str, deque[float]] = {}

    def earliest(self, key: str, not_before: float) -> float:
        """The first slot for `key` at or after `not_before` (monotonic seconds)."""
        slots = self._slots.get(key)
        if not slots:
            return not_before
        slot = max(not_before, slots[-1] + self._interval)
        for count, seconds in self._windows:
            recent = [s for s in slots if s > slot - seconds]
            if len(recent) >= count:
                slot = max(slot, recent[-count] + seconds)  # later slots only leave windows emptier
        return slot

    def take(self, key: str, slot: float) -> None:
        """Reserve `slot` (from `earliest`) for `key`."""
        slots = self._slots.setdefault(key, deque())
        while slots and slots[0] < slot - self._horizon:
            slots.popleft()
        slots.append(slot)
        if len(self._slots) > 10_000:
            self._forget_idle(self.now())

    def _forget_idle(self, now: float) -> None:
        self._slots = {key: slots for key, slots in self._slots.items() if slots and slots[-1] > now - self._horizon}
