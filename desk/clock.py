"""Time, injectable so tests can fix it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


def to_iso(moment: datetime | None) -> str | None:
    """A sortable UTC ISO-8601 text for storage."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str | None) -> datetime | None:
    """The inverse of `to_iso`."""
    return datetime.fromisoformat(text) if text else None


def from_iso_not_null(text: str) -> datetime:
    """`from_iso` for a NOT NULL column (always written by `to_iso` from a datetime)."""
    return datetime.fromisoformat(text)
