"""SQL for the processes' heartbeats (desk/instances.py): one row per process, alive until its `alive_until`."""

from __future__ import annotations

from datetime import datetime

from desk.clock import to_iso
from desk.store.database import Cx


def beat(cx: Cx, holder: str, until: datetime) -> None:
    """Renew `holder`'s heartbeat: it counts as alive until `until`."""
    cx.execute(
        "INSERT INTO instances (holder, alive_until) VALUES (?, ?)"
        " ON CONFLICT (holder) DO UPDATE SET alive_until = excluded.alive_until",
        (holder, to_iso(until)),
    )


def retire(cx: Cx, holder: str) -> None:
    """Remove `holder`'s heartbeat (the process stops): what it still holds is taken over at once."""
    cx.execute("DELETE FROM instances WHERE holder = ?", (holder,))


def alive(cx: Cx, holder: str, now: datetime) -> bool:
    """Whether `holder`'s heartbeat is valid at `now` (a missing one is not)."""
    return (
        cx.one("SELECT 1 AS alive FROM instances WHERE holder = ? AND alive_until > ?", (holder, to_iso(now)))
        is not None
    )
