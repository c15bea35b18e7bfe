"""Concurrent callers asking for the same thing share one piece of work in flight (a token acquisition): the
first starts it, later ones wait for it, every waiter gets its result or its exception, and nothing is kept once
it lands, so the next call after a failure tries again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from functools import partial
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    """One run of `work` per key at a time; different keys never wait for each other."""

    def __init__(self) -> None:
        self._flights: dict[K, asyncio.Future[V]] = {}

    async def run(self, key: K, work: Callable[[], Awaitable[V]]) -> V:
        """The result of the flight under way for `key`, or of a new one running `work`."""
        flight = self._flights.get(key)
        # A flight started on another event loop (a test's, since closed) cannot be awaited from this one.
        if flight is None or flight.get_loop() is not asyncio.get_running_loop():
            flight = asyncio.ensure_future(work())
            self._flights[key] = flight
            flight.add_done_callback(partial(self._landed, key))
        # A waiter that is cancelled leaves the flight running for the others.
        return await asyncio.shield(flight)

    def _landed(self, key: K, flight: asyncio.Future[V]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]  # results and failures alike are not kept: the next caller starts afresh
        if not flight.cancelled():
            flight.exception()  # mark it retrieved: every waiter may have been cancelled before it landed
