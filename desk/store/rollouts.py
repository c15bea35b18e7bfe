"""Roll-outs of the desk's Teams app to a customer's people (issue 16): the roll-out (proposed, running, done,
cancelled) and one row per chosen person (pending, installed, skipped, failed with its reason). A person's row moves
out of `pending` once, in the transaction that records the outcome: a restart resumes with the pending rows only, so
nobody is installed for twice. `welcomes` holds each person greeted on install (once per tenant and user)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from desk.clock import from_iso, to_iso
from desk.store.database import Cx, Row

PROPOSED, RUNNING, DONE, CANCELLED = "proposed", "running", "done", "cancelled"
PENDING, INSTALLED, SKIPPED, FAILED = "pending", "installed", "skipped", "failed"


@dataclass(frozen=True)
class Rollout:
    """A roll-out as stored."""

    id: int
    tenant_id: str
    customer_name: str
    target: str
    state: str
    created_by: str
    conversation_key: str
    locale: str | None
    app_id: str
    progress_at: datetime | None


@dataclass(frozen=True)
class Target:
    """One chosen person."""

    user_id: str
    name: str
    state: str = PENDING
    reason: str | None = None
    attempts: int = 0


@dataclass(frozen=True)
class Counts:
    """How far a roll-out is."""

    pending: int
    installed: int
    skipped: int
    failed: int
    reasons: tuple[tuple[str, str], ...]  # (name, reason) of the failed, first few

    @property
    def total(self) -> int:
        return self.pending + self.installed + self.skipped + self.failed


def create(
    cx: Cx,
    tenant_id: str,
    customer_name: str,
    target: str,
    created_by: str,
    conversation_key: str,
    locale: str | None,
    people: list[Target],
    now: datetime,
) -> int:
    """Store a proposed roll-out and its people (each user once); its id."""
    row = cx.one(
        "INSERT INTO rollouts (tenant_id, customer_name, target, state, created_by, conversation_key, locale,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (tenant_id, customer_name, target, PROPOSED, created_by, conversation_key, locale, to_iso(now), to_iso(now)),
    )
    assert row is not None
    rollout_id = int(row["id"])
    seen: set[str] = set()
    for person in people:
        if person.user_id in seen:
            continue
        seen.add(person.user_id)
        cx.execute(
            "INSERT INTO rollout_people (rollout_id, user_id, name, state) VALUES (?, ?, ?, ?)",
            (rollout_id, person.user_id, person.name, PENDING),
        )
    return rollout_id


def get(cx: Cx, rollout_id: int) -> Rollout | None:
    """One roll-out."""
    row = cx.one("SELECT * FROM rollouts WHERE id = ?", (rollout_id,))
    return _rollout(row) if row else None


def move(cx: Cx, rollout_id: int, from_state: str, to_state: str, now: datetime, app_id: str | None = None) -> bool:
    """Change the roll-out's state when it is `from_state` (a second Confirm or Cancel changes nothing)."""
    changed = cx.execute(
        "UPDATE rollouts SET state = ?, updated_at = ?, app_id = COALESCE(?, app_id) WHERE id = ? AND state = ?",
        (to_state, to_iso(now), app_id, rollout_id, from_state),
    )
    return changed == 1


def running(cx: Cx) -> list[int]:
    """The roll-outs to work on."""
    return [int(row["id"]) for row in cx.all("SELECT id FROM rollouts WHERE state = ? ORDER BY id", (RUNNING,))]


def pending(cx: Cx, rollout_id: int, limit: int) -> list[Target]:
    """The next people still to be reached."""
    rows = cx.all(
        "SELECT * FROM rollout_people WHERE rollout_id = ? AND state = ? ORDER BY user_id LIMIT ?",
        (rollout_id, PENDING, limit),
    )
    return [_target(row) for row in rows]


def people(cx: Cx, rollout_id: int) -> list[Target]:
    """Everyone chosen, by name."""
    rows = cx.all("SELECT * FROM rollout_people WHERE rollout_id = ? ORDER BY name, user_id", (rollout_id,))
    return [_target(row) for row in rows]


def settle(cx: Cx, rollout_id: int, user_id: str, state: str, reason: str | None = None) -> bool:
    """Record a person's outcome, once: False when the person was not pending any more."""
    changed = cx.execute(
        "UPDATE rollout_people SET state = ?, reason = ?, attempts = attempts + 1"
        " WHERE rollout_id = ? AND user_id = ? AND state = ?",
        (state, reason, rollout_id, user_id, PENDING),
    )
    return changed == 1


def counts(cx: Cx, rollout_id: int, reasons: int = 5) -> Counts:
    """The roll-out's counts by state and the first failures' reasons."""
    rows = cx.all("SELECT state, COUNT(*) AS n FROM rollout_people WHERE rollout_id = ? GROUP BY state", (rollout_id,))
    by = {str(row["state"]): int(row["n"]) for row in rows}
    failed = cx.all(
        "SELECT name, reason FROM rollout_people WHERE rollout_id = ? AND state = ? ORDER BY name LIMIT ?",
        (rollout_id, FAILED, reasons),
    )
    return Counts(
        by.get(PENDING, 0),
        by.get(INSTALLED, 0),
        by.get(SKIPPED, 0),
        by.get(FAILED, 0),
        tuple((str(row["name"]), str(row["reason"] or "")) for row in failed),
    )


def mark_progress(cx: Cx, rollout_id: int, now: datetime) -> None:
    """When the progress card was last queued."""
    cx.execute("UPDATE rollouts SET progress_at = ? WHERE id = ?", (to_iso(now), rollout_id))


def welcome_once(cx: Cx, tenant_id: str, user_id: str, conversation_key: str, now: datetime) -> bool:
    """Record that the person is greeted; False (nothing written) when they were already."""
    changed = cx.execute(
        "INSERT INTO welcomes (tenant_id, user_id, conversation_key, welcomed_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (tenant_id, user_id) DO NOTHING",
        (tenant_id.lower(), user_id.lower(), conversation_key, to_iso(now)),
    )
    return changed == 1


def forget_welcome(cx: Cx, tenant_id: str, user_id: str) -> None:
    """Undo `welcome_once` when the card could not be sent, so a redelivery greets again."""
    cx.execute("DELETE FROM welcomes WHERE tenant_id = ? AND user_id = ?", (tenant_id.lower(), user_id.lower()))


def _rollout(row: Row) -> Rollout:
    return Rollout(
        id=int(row["id"]),
        tenant_id=str(row["tenant_id"]),
        customer_name=str(row["customer_name"]),
        target=str(row["target"]),
        state=str(row["state"]),
        created_by=str(row["created_by"]),
        conversation_key=str(row["conversation_key"]),
        locale=row["locale"],
        app_id=str(row["app_id"] or ""),
        progress_at=from_iso(row["progress_at"]) if row["progress_at"] else None,
    )


def _target(row: Row) -> Target:
    return Target(str(row["user_id"]), str(row["name"]), str(row["state"]), row["reason"], int(row["attempts"]))
