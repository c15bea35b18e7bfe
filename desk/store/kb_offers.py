"""SQL of the answers offered to a customer before a ticket (table deflections, migrations 22 and 23): one row per
answer offered, all the offers made before one ticket form sharing its draft; what the customer answered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from desk.clock import to_iso
from desk.store.database import Cx

SOLVED = "solved"
NEEDED_HELP = "needed_help"


@dataclass(frozen=True)
class Offer:
    """One answer offered: what it was (source 'kb' or 'incident', and its key), to whom, and what came of it."""

    offer_id: str
    draft_id: str
    tenant_id: str
    requester_aad_id: str
    source: str
    article_id: str
    outcome: str | None = None
    ticket_id: int | None = None


_COLUMNS = "offer_id, draft_id, tenant_id, requester_aad_id, source, article_id, outcome, ticket_id"


def add_offers(cx: Cx, offers: list[Offer], now: datetime) -> None:
    """Record the offers shown."""
    for offer in offers:
        cx.execute(
            "INSERT INTO deflections (offer_id, draft_id, tenant_id, requester_aad_id, source, article_id, offered_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                offer.offer_id,
                offer.draft_id,
                offer.tenant_id,
                offer.requester_aad_id,
                offer.source,
                offer.article_id,
                to_iso(now),
            ),
        )


def get_offer(cx: Cx, offer_id: str) -> Offer | None:
    """An offer by id."""
    row = cx.one(f"SELECT {_COLUMNS} FROM deflections WHERE offer_id = ?", (offer_id,))
    return Offer(**row) if row else None


def offers_of_draft(cx: Cx, draft_id: str) -> list[Offer]:
    """The offers made before one ticket form, in the order shown."""
    rows = cx.all(f"SELECT {_COLUMNS} FROM deflections WHERE draft_id = ? ORDER BY id", (draft_id,))
    return [Offer(**row) for row in rows]


def mark_solved(cx: Cx, offer_id: str, now: datetime) -> bool:
    """The customer says this answer solved it; False (nothing changed) once a ticket was opened from its form."""
    changed = cx.execute(
        "UPDATE deflections SET outcome = ?, outcome_at = ? WHERE offer_id = ? AND ticket_id IS NULL"
        " AND (outcome IS NULL OR outcome = ?)",
        (SOLVED, to_iso(now), offer_id, SOLVED),
    )
    return changed == 1


def mark_needed_help(cx: Cx, draft_id: str, ticket_id: int | None, now: datetime) -> None:
    """The customer still needed help after the offers of this draft: all of them count so (a click on "This solved
    it" before does not count as a deflection once they opened a ticket anyway), with the ticket once there is one."""
    cx.execute(
        "UPDATE deflections SET outcome = ?, outcome_at = ?, ticket_id = COALESCE(?, ticket_id) WHERE draft_id = ?",
        (NEEDED_HELP, to_iso(now), ticket_id, draft_id),
    )
