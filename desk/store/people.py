"""SQL for the technician directory: who can be assigned tickets, and their Teams user ids (for card refresh)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from desk.clock import to_iso
from desk.store.database import Cx

MAX_REFRESH_USERS = 60  # Teams refreshes a card automatically for at most 60 listed users


@dataclass(frozen=True)
class Technician:
    """A technician the desk has seen (in a turn or in the triage team's roster)."""

    aad_id: str
    name: str
    user_id: str | None = None
    email: str | None = None


def upsert_technician(cx: Cx, technician: Technician, now: datetime) -> None:
    """Remember a technician (keeping a known Teams user id when the new record has none)."""
    cx.execute(
        "INSERT INTO technicians (aad_id, name, user_id, email, last_seen) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (aad_id) DO UPDATE SET name = excluded.name,"
        " user_id = COALESCE(excluded.user_id, technicians.user_id),"
        " email = COALESCE(excluded.email, technicians.email), last_seen = excluded.last_seen",
        (technician.aad_id, technician.name, technician.user_id, technician.email, to_iso(now)),
    )


def technicians(cx: Cx) -> list[Technician]:
    """Every known technician, by name."""
    rows = cx.all("SELECT aad_id, name, user_id, email FROM technicians ORDER BY name")
    return [Technician(r["aad_id"], r["name"], r["user_id"], r["email"]) for r in rows]


def technician(cx: Cx, aad_id: str) -> Technician | None:
    """One technician by Entra object id."""
    row = cx.one("SELECT aad_id, name, user_id, email FROM technicians WHERE aad_id = ?", (aad_id,))
    return Technician(row["aad_id"], row["name"], row["user_id"], row["email"]) if row else None


def refresh_user_ids(cx: Cx) -> list[str]:
    """Teams user ids of the most recently seen technicians, for a card's refresh.userIds."""
    rows = cx.all(
        "SELECT user_id FROM technicians WHERE user_id IS NOT NULL ORDER BY last_seen DESC LIMIT ?",
        (MAX_REFRESH_USERS,),
    )
    return [r["user_id"] for r in rows]
