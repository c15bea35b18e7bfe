"""The one rate limiter: at most `count` slots in any `seconds`-long window, for each window of a key's limits.

Microsoft counts the app's requests, not one process's, so the state lives in the database (desk/store/ratelimit.py)
and every instance takes its slots from the same log: the outbox sender per Teams conversation and per tenant (in
the transaction that claims the message, bot/outbox/claims.py), the Graph client per tenant (`SharedRateLimiter`,
which msapi.limits.RateLimit names). The algorithm below is the only one; `SlotLog` is where it keeps its state.

A sliding log rather than a token bucket: a bucket of `count` refilled over `seconds` lets through up to twice
`count` in one window, and Microsoft publishes its limits as "so many in so many seconds".

Microsoft counts a request when it arrives, which is after the slot was taken by a time that varies (the claim's
transaction, the SDK, the network); two requests a window apart in the log may then arrive less than a window apart.
A slot taken with an `owner` (the outbox names its send) is moved, once the answer came back, to that moment
(`answered`): the request arrived by then, so a window counted from there is never shorter than Microsoft's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from desk.clock import Clock, utc_now
from desk.store.database import Cx, Database
from desk.store.ratelimit import PreloadedSlotLog

# Reservations one transaction makes at most (its statements carry two parameters a reservation).
BATCH_LIMIT = 500


@dataclass(frozen=True)
class Limits:
    """(count, seconds) windows: at most `count` slots in any `seconds`."""

    windows: tuple[tuple[int, float], ...]

    def __post_init__(self) -> None:
        if not self.windows or any(count < 1 or seconds <= 0 for count, seconds in self.windows):
            raise ValueError("each window needs at least one slot and a positive length")


class SlotLog(Protocol):
    """Where the limiter keeps each key's slots and when its next slot opens (read and written in one transaction)."""

    def newest(self, key: str, after: datetime, ranks: Sequence[int]) -> dict[int, datetime]:
        """For each rank n of `ranks` (1: the newest), the n-th newest slot of `key` later than `after`, when there
        are that many (one query for all of them)."""
        ...

    def add(self, key: str, at: datetime, owner: str | None = None) -> None:
        """Record a slot, taken by `owner` when it is named."""
        ...

    def move(self, owner: str, at: datetime) -> int:
        """Move `owner`'s slots (of every key) to `at` where they are earlier; returns how many moved."""
        ...

    def set_next(self, key: str, at: datetime) -> None:
        """Remember when the key's next slot opens."""
        ...


@dataclass(frozen=True)
class Window:
    """What the log says of one key: its n-th newest slots for the ranks read (`read`), so that the key's windows
    are known, also after slots are added (`with_slot`), without reading again."""

    key: str
    limits: Limits
    ranks: frozenset[int]  # the ranks known (1: the newest)
    nth: dict[int, datetime]  # rank -> the slot of that rank, for the known ranks that have one

    def earliest(self, not_before: datetime) -> datetime:
        """The first moment at or after `not_before` when the key may take a slot.

        One pass suffices: a window's answer is the moment the count-th newest slot leaves it, and a later moment
        only leaves every window emptier, so a window satisfied earlier in the pass stays satisfied. The count-th
        newest slot later than the first moment's window start (`read`) is the count-th newest in any later one, if
        it is in it at all."""
        slot = not_before
        for count, seconds in self.limits.windows:
            if count not in self.ranks:
                raise ValueError(f"{self.key}: more slots added than read for")
            span = timedelta(seconds=seconds)
            oldest = self.nth.get(count)
            if oldest is not None and oldest > slot - span:
                slot = max(slot, oldest + span)
        return slot

    def with_slot(self, slot: datetime) -> Window:
        """The key's window once `slot` is added: the n-th newest is then the (n-1)-th before, `slot` itself, or the
        n-th before, whichever falls between. The lowest rank read but the newest is no longer known after."""
        ranks = frozenset(rank for rank in self.ranks if rank == 1 or rank - 1 in self.ranks)
        nth: dict[int, datetime] = {}
        for rank in ranks:
            newer = slot if rank == 1 else self.nth.get(rank - 1)
            if newer is None:  # fewer than rank - 1 before: fewer than rank after
                continue
            before = self.nth.get(rank)
            nth[rank] = max(before, min(slot, newer)) if before is not None else min(slot, newer)
        return Window(self.key, self.limits, ranks, nth)


def read(log: SlotLog, key: str, limits: Limits, not_before: datetime, adding: int = 1) -> Window:
    """The key's slots that count from `not_before` on (one query): the count-th newest of each window, and the
    `adding` ranks before it, from which `Window.with_slot` knows the windows after as many more slots."""
    longest = timedelta(seconds=max(seconds for _, seconds in limits.windows))
    ranks = {count - back for count, _ in limits.windows for back in range(adding + 1) if count - back >= 1}
    return Window(key, limits, frozenset(ranks), log.newest(key, not_before - longest, sorted(ranks)))


def earliest(log: SlotLog, key: str, limits: Limits, not_before: datetime) -> datetime:
    """The first moment at or after `not_before` when `key` may take a slot."""
    return read(log, key, limits, not_before).earliest(not_before)


def take(
    log: SlotLog,
    key: str,
    limits: Limits,
    slot: datetime,
    owner: str | None = None,
    window: Window | None = None,
) -> datetime:
    """Record `slot` (from `earliest`) for `key`, taken by `owner` when named; returns when its next slot opens (also
    remembered in the log). `window`: the key's slots as read for this slot (`read`), when the caller has them. Old
    slots stay until housekeeping (desk/store/retention.py): the queries read only each window's span of them."""
    before = window if window is not None else read(log, key, limits, slot)
    log.add(key, slot, owner)
    following = before.with_slot(slot).earliest(slot)
    log.set_next(key, following)
    return following


def answered(log: SlotLog, owner: str, at: datetime) -> None:
    """The request `owner` took its slots for was answered at `at`: count it from then. The keys' next slots, noted
    when the slots were taken, may now be early; whoever takes a slot checks the log first (`earliest`) and notes the
    later moment then (bot/outbox/claims.py)."""
    log.move(owner, at)


def reserve(log: SlotLog, key: str, limits: Limits, now: datetime) -> datetime:
    """Take the key's first free slot from `now`; returns it (the caller waits until then)."""
    window = read(log, key, limits, now)
    slot = window.earliest(now)
    take(log, key, limits, slot, window=window)
    return slot


class SharedRateLimiter:
    """msapi.limits.RateLimit for one API, its state in the database: every instance of the desk shares it.

    `acquire` reserves the key's first free slot and sleeps until it; a caller cancelled while asleep leaves its
    slot unused, which only errs on the side of the limit. Callers that ask while a reservation is being written
    are served together by the next transaction, in the order they asked: a health sweep's requests ask at once
    (two per tenant, SWEEP_CONCURRENCY tenants), and one transaction each made the database, not Graph, the pace
    of the sweep (on PostgreSQL, serializable transactions that conflict with each other and run again)."""

    def __init__(
        self,
        db: Database,
        name: str,
        limits: Limits,
        clock: Clock = utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._db = db
        self._name = name
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        self._asking: list[tuple[str, asyncio.Future[tuple[datetime, datetime]]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def acquire(self, key: str) -> None:
        """Return once a request under `key` (a tenant id: compared without case) fits every window."""
        loop = asyncio.get_running_loop()
        reserved: asyncio.Future[tuple[datetime, datetime]] = loop.create_future()
        self._asking.append((f"{self._name}:{key.lower()}", reserved))
        if self._writer is None or self._writer.done() or self._writer.get_loop() is not loop:
            self._writer = loop.create_task(self._reserve_for_askers())
        now, slot = await reserved
        wait = (slot - now).total_seconds()
        if wait > 0:
            await self._sleep(wait)

    async def _reserve_for_askers(self) -> None:
        """Reserve, one transaction at a time, a slot for everyone who asked before it began; each waiter gets its
        slot, or the transaction's error. A limiter serves one event loop at a time (a test's loop, once closed,
        leaves nobody waiting): callers of another loop are not served here."""
        loop = asyncio.get_running_loop()
        while self._asking:
            waiting = [(name, asked) for name, asked in self._asking if asked.get_loop() is loop and not asked.done()]
            batch, self._asking = waiting[:BATCH_LIMIT], waiting[BATCH_LIMIT:]
            if not batch:
                continue
            now = self._clock()
            names = [name for name, _ in batch]
            try:
                slots = await self._db.run(partial(self._reserve_all, names=names, now=now))
            except asyncio.CancelledError:  # the loop is shutting down: so are the callers
                for _, asked in batch:
                    asked.cancel()
                raise
            except Exception as error:  # DatabaseUnavailable above all: each caller decides, as with its own call
                for _, asked in batch:
                    if not asked.done():
                        asked.set_exception(error)
                continue
            for (_, asked), slot in zip(batch, slots, strict=True):
                if not asked.done():
                    asked.set_result((now, slot))

    def _reserve_all(self, cx: Cx, names: list[str], now: datetime) -> list[datetime]:
        """Each name's slot, in order, in the caller's transaction (re-runnable: it only reads and writes there)."""
        longest = max(seconds for _, seconds in self.limits.windows)
        log = PreloadedSlotLog(cx, sorted(set(names)), now - timedelta(seconds=longest))
        slots = [reserve(log, name, self.limits, now) for name in names]
        log.write()
        return slots
