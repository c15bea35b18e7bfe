"""A database outage as background work sees it: one warning when it starts, one line when the database is back
(never a traceback per attempt), and a bounded backoff between attempts meanwhile."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from desk.store.database import DatabaseUnavailable

T = TypeVar("T")
logger = logging.getLogger(__name__)
FIRST_WAIT_SECONDS = 1.0
LONGEST_WAIT_SECONDS = 30.0
# What a driver's message may carry that must not leave the process: a URL with credentials, key=value secrets.
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_SECRET = re.compile(r"\b(password|passwd|pwd|secret|user|sslkey|sslpassword)\s*=\s*\S+", re.IGNORECASE)
_QUOTED_HOST = re.compile(r'(server at |host )"[^"]*"( \([^)]*\))?', re.IGNORECASE)


class Outage:
    """Shared by every background loop of a process: the first failure logs a warning, the first success after
    it an info line with how long the database was away."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._since: float | None = None
        self._monotonic = monotonic

    @property
    def down(self) -> bool:
        """Whether the last attempt failed."""
        return self._since is not None

    def failed(self, error: BaseException, who: str) -> None:
        """An attempt failed for want of the database."""
        if self._since is None:
            self._since = self._monotonic()
            logger.warning("database unreachable (%s: %s): background work waits and retries", who, plain(error))

    def attempt(self) -> float:
        """When an attempt begins; pass it to `succeeded`."""
        return self._monotonic()

    def succeeded(self, began: float | None = None) -> None:
        """An attempt (begun at `began`, from `attempt()`) reached the database. One begun before another loop saw
        the database go away says nothing about now: on a pool, a call under way as the server stopped may still be
        answered after the first failure, and announcing "back" then would log the one outage twice."""
        if self._since is not None and (began is None or began >= self._since):
            away = self._monotonic() - self._since
            self._since = None
            logger.info("database is back after %.0f s: background work resumes", away)


class Backoff:
    """Waits between attempts: doubling from `first`, never more than `longest`."""

    def __init__(self, first: float = FIRST_WAIT_SECONDS, longest: float = LONGEST_WAIT_SECONDS) -> None:
        self._first = first
        self._longest = longest
        self._next = first

    def next(self) -> float:
        """The wait before the next attempt."""
        wait = self._next
        self._next = min(self._longest, self._next * 2)
        return wait

    def reset(self) -> None:
        """An attempt succeeded: the next outage starts from the first wait again."""
        self._next = self._first


def plain(error: BaseException) -> str:
    """The error's first line without addresses or credentials, for logs and /readyz (which anyone can read)."""
    text = (str(error).strip().splitlines() or [type(error).__name__])[0]
    text = _URL.sub("[address]", text)
    text = _SECRET.sub(lambda m: f"{m.group(1)}=[redacted]", text)
    text = _QUOTED_HOST.sub(lambda m: f"{m.group(1)}[address]", text)
    return text[:200] or type(error).__name__


async def when_reachable(
    action: Callable[[], Awaitable[T]],
    within: float,
    what: str,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> T:
    """`action`, tried again with backoff while it raises DatabaseUnavailable, for at most `within` seconds (then the
    last error is raised). At start-up: a database restarting, or started after the app, is waited for, not a crash."""
    deadline = monotonic() + within
    backoff = Backoff()
    while True:
        try:
            return await action()
        except DatabaseUnavailable as error:
            wait = backoff.next()
            if monotonic() + wait > deadline:
                raise
            logger.warning("%s: the database is unreachable (%s); trying again in %.0f s", what, plain(error), wait)
            await sleep(wait)
