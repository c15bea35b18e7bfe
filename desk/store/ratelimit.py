"""SQL behind the shared rate limiter (desk/ratelimit.py): each key's recent slots (with the send that took them, when
it is named), and the moment its next slot opens, kept so that a query can pass over keys that must wait (the
outbox's claim does)."""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Sequence
from datetime import datetime

from desk.clock import from_iso, from_iso_not_null, to_iso
from desk.store.database import Cx


class SqlSlotLog:
    """desk.ratelimit.SlotLog inside the caller's transaction."""

    def __init__(self, cx: Cx) -> None:
        self._cx = cx

    def newest(self, key: str, after: datetime, ranks: Sequence[int]) -> dict[int, datetime]:
        # One statement, one index probe per rank: a round trip per rank is what a claim on PostgreSQL waited for.
        columns = ", ".join(
            f"(SELECT at FROM rate_limit_slots WHERE key = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?) AS r{n}"
            for n in range(len(ranks))
        )
        stamp = to_iso(after)
        row = self._cx.one(f"SELECT {columns}", [value for rank in ranks for value in (key, stamp, rank - 1)])
        if row is None:
            return {}
        return {rank: from_iso_not_null(row[f"r{n}"]) for n, rank in enumerate(ranks) if row[f"r{n}"] is not None}

    def add(self, key: str, at: datetime, owner: str | None = None) -> None:
        self._cx.execute("INSERT INTO rate_limit_slots (key, at, owner) VALUES (?, ?, ?)", (key, to_iso(at), owner))

    def move(self, owner: str, at: datetime) -> int:
        # Only ever later: a slot moved earlier would open its windows sooner than Teams does.
        return self._cx.execute(
            "UPDATE rate_limit_slots SET at = ? WHERE owner = ? AND at < ?", (to_iso(at), owner, to_iso(at))
        )

    def set_next(self, key: str, at: datetime) -> None:
        self._cx.execute(
            "INSERT INTO rate_limits (key, next_at) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET next_at = excluded.next_at",
            (key, to_iso(at)),
        )


class PreloadedSlotLog:
    """desk.ratelimit.SlotLog for reserving slots of many keys in one transaction in four statements, whatever their
    number: every slot of `keys` later than `since` read at once (no window asks about older ones), the new slots
    and next times written together by `write`. SqlSlotLog's six statements a slot made each SQLite statement wait
    for the event loop's thread to let go of the interpreter, and each is a round trip to PostgreSQL."""

    def __init__(self, cx: Cx, keys: Sequence[str], since: datetime) -> None:
        self._cx = cx
        self._slots: dict[str, list[datetime]] = {key: [] for key in keys}
        marks = ", ".join("?" for _ in self._slots)
        rows = cx.all(
            f"SELECT key, at FROM rate_limit_slots WHERE key IN ({marks}) AND at > ?", (*self._slots, to_iso(since))
        )
        for row in rows:
            self._slots[row["key"]].append(from_iso_not_null(row["at"]))
        for slots in self._slots.values():
            slots.sort()
        self._added: list[tuple[str, datetime, str | None]] = []
        self._next: dict[str, datetime] = {}

    def newest(self, key: str, after: datetime, ranks: Sequence[int]) -> dict[int, datetime]:
        slots = self._slots[key]
        later = len(slots) - bisect_right(slots, after)
        return {rank: slots[-rank] for rank in ranks if later >= rank}

    def add(self, key: str, at: datetime, owner: str | None = None) -> None:
        insort(self._slots[key], at)
        self._added.append((key, at, owner))

    def move(self, owner: str, at: datetime) -> int:
        raise NotImplementedError("slots are moved by the outbox's SqlSlotLog, never while reserving")

    def set_next(self, key: str, at: datetime) -> None:
        self._next[key] = at

    def write(self) -> None:
        """Record the slots added and each key's next time (one row a key: the last set)."""
        add_slots(self._cx, self._added)
        set_next_many(self._cx, self._next)
        self._added, self._next = [], {}


def add_slots(cx: Cx, slots: Sequence[tuple[str, datetime, str | None]]) -> None:
    """Record several slots, (key, at, owner) each, in one statement."""
    if slots:
        values = ", ".join("(?, ?, ?)" for _ in slots)
        params = [value for key, at, owner in slots for value in (key, to_iso(at), owner)]
        cx.execute(f"INSERT INTO rate_limit_slots (key, at, owner) VALUES {values}", params)


def set_next_many(cx: Cx, nexts: dict[str, datetime]) -> None:
    """Remember when each key's next slot opens, in one statement (a key once: PostgreSQL refuses to update one row
    twice in one statement)."""
    if nexts:
        values = ", ".join("(?, ?)" for _ in nexts)
        params = [value for key, at in nexts.items() for value in (key, to_iso(at))]
        cx.execute(
            f"INSERT INTO rate_limits (key, next_at) VALUES {values}"
            " ON CONFLICT (key) DO UPDATE SET next_at = excluded.next_at",
            params,
        )


def next_at(cx: Cx, key: str) -> datetime | None:
    """When `key` may take its next slot, as last recorded (None: at once)."""
    row = cx.one("SELECT next_at FROM rate_limits WHERE key = ?", (key,))
    return from_iso(row["next_at"]) if row else None


def prune(cx: Cx, before: datetime) -> int:
    """Forget slots older than `before` and keys whose next slot opened before it (no limit spans that long)."""
    cx.execute("DELETE FROM rate_limits WHERE next_at < ?", (to_iso(before),))
    return cx.execute("DELETE FROM rate_limit_slots WHERE at < ?", (to_iso(before),))
