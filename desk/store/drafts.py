"""SQL for new-ticket drafts: a form in progress, whose id is all the form card carries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from desk.clock import from_iso_not_null, to_iso
from desk.store.database import Cx


@dataclass(frozen=True)
class Draft:
    """A new-ticket form in progress: its id is all a form card carries."""

    id: str
    owner_aad_id: str
    tenant_id: str
    fields: dict[str, str]
    ticket_id: int | None
    created_at: datetime


def insert_draft(cx: Cx, draft: Draft) -> None:
    """Store a new draft."""
    cx.execute(
        "INSERT INTO drafts (id, owner_aad_id, tenant_id, fields, ticket_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (draft.id, draft.owner_aad_id, draft.tenant_id, json.dumps(draft.fields), None, to_iso(draft.created_at)),
    )


def get_draft(cx: Cx, draft_id: str) -> Draft | None:
    """A draft by id."""
    row = cx.one("SELECT * FROM drafts WHERE id = ?", (draft_id,))
    if row is None:
        return None
    return Draft(
        id=row["id"],
        owner_aad_id=row["owner_aad_id"],
        tenant_id=row["tenant_id"],
        fields=json.loads(row["fields"]),
        ticket_id=row["ticket_id"],
        created_at=from_iso_not_null(row["created_at"]),
    )


def save_draft_fields(cx: Cx, draft_id: str, fields: dict[str, str]) -> None:
    """Keep what the customer typed."""
    cx.execute("UPDATE drafts SET fields = ? WHERE id = ?", (json.dumps(fields), draft_id))


def link_draft(cx: Cx, draft_id: str, ticket_id: int) -> None:
    """Mark a draft as submitted."""
    cx.execute("UPDATE drafts SET ticket_id = ? WHERE id = ?", (ticket_id, draft_id))
