"""SQL for conversation/dialog state documents with optimistic concurrency (etags)."""

from __future__ import annotations

from datetime import datetime

from desk.clock import to_iso
from desk.store.database import Cx


class StateConflict(Exception):
    """A state document changed since it was read."""


def read_documents(cx: Cx, keys: list[str]) -> dict[str, tuple[str, str]]:
    """The stored documents among `keys`, each with its etag."""
    found: dict[str, tuple[str, str]] = {}
    for key in keys:
        row = cx.one("SELECT etag, document FROM bot_state WHERE key = ?", (key,))
        if row is not None:
            found[key] = (str(row["etag"]), row["document"])
    return found


def write_document(cx: Cx, key: str, document: str, expected_etag: str | None, now: datetime) -> str:
    """Write a document; with an etag other than '*', refuse when the stored one differs. Returns the new etag.
    `now` is kept as its last write (housekeeping forgets documents nobody wrote for a while)."""
    row = cx.one("SELECT etag FROM bot_state WHERE key = ?", (key,))
    if row is not None and expected_etag not in (None, "*") and str(row["etag"]) != expected_etag:
        raise StateConflict(f"state {key!r} changed since it was read")
    etag = (int(row["etag"]) + 1) if row is not None else 1
    cx.execute(
        "INSERT INTO bot_state (key, etag, document, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET"
        " etag = excluded.etag, document = excluded.document, updated_at = excluded.updated_at",
        (key, etag, document, to_iso(now)),
    )
    return str(etag)


def delete_documents(cx: Cx, keys: list[str]) -> None:
    """Remove documents."""
    for key in keys:
        cx.execute("DELETE FROM bot_state WHERE key = ?", (key,))
