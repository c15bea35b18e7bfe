"""SQL for the PSA bridge's webhook deliveries (the bridge's outbox): one row per (URL, ticket event), queued in the
transaction that records the event, so a committed change always has its deliveries and a rolled-back one none.

Several senders (one per instance) share the rows. A sender claims a ticket's oldest pending row for a URL (its
head: a later event of the ticket waits until the earlier one is delivered or has failed for good) by writing its
holder id and an expiry; the outcome is recorded only while the claim is still the sender's (fenced), and a claim
whose holder died is taken over once it expires or the holder's heartbeat lapses. States: pending, delivered,
failed (for good: retries used up, or refused), dropped (its URL was removed from the settings)."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from desk.clock import from_iso, to_iso
from desk.psa_events import PUBLIC_TYPES, payload
from desk.psa_signing import TOLERANCE_SECONDS
from desk.store import people as people_sql
from desk.store import tickets as ticket_sql
from desk.store.database import Cx

# A signature stays fresh for 2 x TOLERANCE_SECONDS after it is first seen (signed up to TOLERANCE ahead of the
# receiving clock); a minute more, since another instance's clock, a little ahead, prunes too.
NONCE_WINDOW = timedelta(seconds=2 * TOLERANCE_SECONDS + 60)
KEEP_DELIVERED = timedelta(days=7)
KEEP_FAILED = timedelta(days=90)  # failed and dropped rows, for inspection (as the outbox keeps its failed messages)


@dataclass(frozen=True)
class Delivery:
    """A claimed delivery: where, which event (the public id is in the payload), the exact body, attempts so far."""

    id: int
    target: str
    event_id: int
    ticket_id: int
    body: str
    attempts: int


def sync_targets(cx: Cx, urls: Collection[str], now: datetime) -> int:
    """Make the configured URLs the ones new events are queued for; rows still pending for a URL no longer configured
    are dropped. Returns how many were dropped."""
    for url in urls:
        cx.execute(
            "INSERT INTO psa_targets (url, added_at) VALUES (?, ?) ON CONFLICT (url) DO NOTHING", (url, to_iso(now))
        )
    marks = ", ".join("?" * len(urls))
    others = f" WHERE url NOT IN ({marks})" if urls else ""
    cx.execute(f"DELETE FROM psa_targets{others}", tuple(urls))
    gone = f" AND target NOT IN ({marks})" if urls else ""
    return cx.execute(
        "UPDATE psa_webhooks SET state = 'dropped', claimed_by = NULL, claimed_until = NULL"
        f" WHERE state = 'pending'{gone}",
        tuple(urls),
    )


def queue_event(
    cx: Cx,
    event_id: int,
    ticket_id: int,
    kind: str,
    at: datetime,
    actor: tuple[str, str],
    values: tuple[str | None, str | None, str | None],
) -> int:
    """Inside the transaction that recorded audit event `event_id`: queue its delivery to every configured URL, with
    the ticket as that transaction left it. Nothing for kinds the PSA is not told about, or without URLs. Returns the
    number of rows queued."""
    if kind not in PUBLIC_TYPES:
        return 0
    targets = [row["url"] for row in cx.all("SELECT url FROM psa_targets ORDER BY url")]
    if not targets:
        return 0
    ticket = ticket_sql.get_ticket(cx, ticket_id)
    if ticket is None:
        return 0
    technician = people_sql.technician(cx, ticket.assignee_id) if ticket.assignee_id else None
    document = payload(event_id, kind, at, actor, values, ticket, technician.email if technician else None)
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    stamp = to_iso(at)
    for target in targets:
        cx.execute(
            "INSERT INTO psa_webhooks (target, event_id, ticket_id, payload, next_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (target, event_id, ticket_id, body, stamp, stamp),
        )
    return len(targets)


# Free: never claimed, its claim expired, or another process's claim whose heartbeat lapsed (a killed instance's
# rows are taken over in seconds). The claimant's own live claims are its sends under way, whatever its heartbeat.
_FREE = (
    " w.state = 'pending' AND w.next_at <= ? AND (w.claimed_until IS NULL OR w.claimed_until <= ?"
    " OR (w.claimed_by <> ? AND EXISTS (SELECT 1 FROM instances i WHERE i.holder = w.claimed_by"
    " AND i.alive_until <= ?)))"
)
_HEAD = (
    " NOT EXISTS (SELECT 1 FROM psa_webhooks e WHERE e.state = 'pending' AND e.target = w.target"
    " AND e.ticket_id = w.ticket_id AND e.event_id < w.event_id)"
)


def claim(cx: Cx, target: str, holder: str, now: datetime, until: datetime, limit: int) -> list[Delivery]:
    """Claim up to `limit` due heads of `target` (each a different ticket's oldest pending event) for `holder` until
    `until`, oldest first. PostgreSQL: rows another sender's transaction holds are skipped (SKIP LOCKED)."""
    stamp = to_iso(now)
    rows = cx.all(
        "SELECT w.id, w.target, w.event_id, w.ticket_id, w.payload, w.attempts FROM psa_webhooks w"
        f" WHERE w.target = ? AND{_FREE} AND{_HEAD} ORDER BY w.next_at, w.event_id LIMIT ?",
        (target, stamp, stamp, holder, stamp, limit),
    )
    if rows and cx.dialect == "postgresql":
        marks = ", ".join("?" * len(rows))
        ids = [row["id"] for row in rows]
        locked = {
            r["id"] for r in cx.all(f"SELECT id FROM psa_webhooks WHERE id IN ({marks}) FOR UPDATE SKIP LOCKED", ids)
        }
        rows = [row for row in rows if row["id"] in locked]
    if rows:
        marks = ", ".join("?" * len(rows))
        cx.execute(
            f"UPDATE psa_webhooks SET claimed_by = ?, claimed_until = ? WHERE id IN ({marks})",
            (holder, to_iso(until), *[row["id"] for row in rows]),
        )
    return [Delivery(r["id"], r["target"], r["event_id"], r["ticket_id"], r["payload"], r["attempts"]) for r in rows]


def _finish(cx: Cx, delivery_id: int, holder: str, assignments: str, params: tuple[object, ...]) -> bool:
    changed = cx.execute(
        f"UPDATE psa_webhooks SET {assignments}, attempts = attempts + 1, claimed_by = NULL, claimed_until = NULL"
        " WHERE id = ? AND claimed_by = ? AND state = 'pending'",
        (*params, delivery_id, holder),
    )
    return changed == 1


def delivered(cx: Cx, delivery_id: int, holder: str, now: datetime) -> bool:
    """The receiver took it (2xx). False, recording nothing, when the claim is no longer `holder`'s."""
    return _finish(cx, delivery_id, holder, "state = 'delivered', delivered_at = ?, last_error = NULL", (to_iso(now),))


def retry(cx: Cx, delivery_id: int, holder: str, at: datetime, error: str) -> bool:
    """Try again at `at` (the ticket's later events wait meanwhile)."""
    return _finish(cx, delivery_id, holder, "next_at = ?, last_error = ?", (to_iso(at), error[:500]))


def failed(cx: Cx, delivery_id: int, holder: str, error: str) -> bool:
    """Failed for good: counted in /readyz; the ticket's later events go on."""
    return _finish(cx, delivery_id, holder, "state = 'failed', last_error = ?", (error[:500],))


def unclaim_all(cx: Cx, holder: str) -> int:
    """End every claim of a stopping sender: its rows are free at once for the next sender."""
    return cx.execute(
        "UPDATE psa_webhooks SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ? AND state = 'pending'",
        (holder,),
    )


def next_due(cx: Cx, targets: Collection[str]) -> datetime | None:
    """When a head of one of `targets` may next be claimed (its next attempt or its claim's expiry, the later)."""
    if not targets:
        return None
    latest = "GREATEST" if cx.dialect == "postgresql" else "MAX"
    marks = ", ".join("?" * len(targets))
    row = cx.one(
        f"SELECT MIN({latest}(w.next_at, COALESCE(w.claimed_until, w.next_at))) AS due FROM psa_webhooks w"
        f" WHERE w.state = 'pending' AND w.target IN ({marks}) AND{_HEAD}",
        tuple(targets),
    )
    return from_iso(row["due"]) if row and row["due"] else None


def counts(cx: Cx) -> dict[str, int]:
    """How many deliveries are pending and how many failed for good (for /readyz)."""
    rows = cx.all("SELECT state, COUNT(*) AS n FROM psa_webhooks WHERE state IN ('pending', 'failed') GROUP BY state")
    found = {row["state"]: int(row["n"]) for row in rows}
    return {"pending": found.get("pending", 0), "failed": found.get("failed", 0)}


def prune(cx: Cx, now: datetime) -> int:
    """Forget deliveries made more than KEEP_DELIVERED ago, those that failed or were dropped more than KEEP_FAILED
    after they were queued (else a PSA refusing every event keeps a row of ticket data per event for ever), and
    signatures older than the replay window."""
    cx.execute("DELETE FROM psa_nonces WHERE seen_at < ?", (to_iso(now - NONCE_WINDOW),))
    ended = cx.execute(
        "DELETE FROM psa_webhooks WHERE state IN ('failed', 'dropped') AND created_at < ?", (to_iso(now - KEEP_FAILED),)
    )
    return ended + cx.execute(
        "DELETE FROM psa_webhooks WHERE state = 'delivered' AND delivered_at < ?", (to_iso(now - KEEP_DELIVERED),)
    )


def first_use(cx: Cx, digest: str, now: datetime) -> bool:
    """Record a PSA request's signature; False when it was seen within the replay window (a replay). Old ones go
    first, so the table holds one window's requests."""
    cx.execute("DELETE FROM psa_nonces WHERE seen_at < ?", (to_iso(now - NONCE_WINDOW),))
    added = cx.execute(
        "INSERT INTO psa_nonces (digest, seen_at) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING", (digest, to_iso(now))
    )
    return added == 1
