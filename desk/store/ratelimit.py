"""SQL behind the shared rate limiter (desk/ratelimit.py): each key's recent slots, and the moment its next slot
opens, kept so that a query can pass over keys that must wait (the outbox's claim does)."""

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

    def nth_newest(self, key: str, after: datetime, n: int) -> datetime | None:
        row = self._cx.one(
            "SELECT at FROM rate_limit_slots WHERE key = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?",
            (key, to_iso(after), n - 1),
        )
        return from_iso_not_null(row["at"]) if row else None

    def add(self, key: str, at: datetime) -> None:
        self._cx.execute("INSERT INTO rate_limit_slots (key, at) VALUES (?, ?)", (key, to_iso(at)))

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
        self._added: list[tuple[str, datetime]] = []
        self._next: dict[str, datetime] = {}

    def nth_newest(self, key: str, after: datetime, n: int) -> datetime | None:
        slots = self._slots[key]
        later = len(slots) - bisect_right(slots, after)
        return slots[-n] if later >= n else None

    def add(self, key: str, at: datetime) -> None:
        insort(self._slots[key], at)
        self._added.append((key, at))

    def set_next(self, key: str, at: datetime) -> None:
        self._next[key] = at

    def write(self) -> None:
        """Record the slots added and each key's next time (one row a key: the last set)."""
        if self._added:
            rows = ", ".join("(?, ?)" for _ in self._added)
            self._cx.execute(
                f"INSERT INTO rate_limit_slots (key, at) VALUES {rows}",
                [value for key, at in self._added for value in (key, to_iso(at))],
            )
        if self._next:
            rows = ", ".join("(?, ?)" for _ in self._next)
            self._cx.execute(
                f"INSERT INTO rate_limits (key, next_at) VALUES {rows}"
                " ON CONFLICT (key) DO UPDATE SET next_at = excluded.next_at",
                [value for key, at in self._next.items() for value in (key, to_iso(at))],
            )
        self._added, self._next = [], {}


def next_at(cx: Cx, key: str) -> datetime | None:
    """When `key` may take its next slot, as last recorded (None: at once)."""
    row = cx.one("SELECT next_at FROM rate_limits WHERE key = ?", (key,))
    return from_iso(row["next_at"]) if row else None


def prune(cx: Cx, before: datetime) -> int:
    """Forget slots older than `before` and keys whose next slot opened before it (no limit spans that long)."""
    cx.execute("DELETE FROM rate_limits WHERE next_at < ?", (to_iso(before),))
    return cx.execute("DELETE FROM rate_limit_slots WHERE at < ?", (to_iso(before),))
