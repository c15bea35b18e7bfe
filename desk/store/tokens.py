"""SQL for technicians' Partner Center sign-ins. Token caches and pending sign-in flows are encrypted at rest
(Fernet, keys from settings): a copied database file does not give away refresh tokens. Several keys rotate: the
first seals, any opens, and a token cache opened with an older key is re-sealed with the first as it is read."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from desk.clock import from_iso, to_iso
from desk.store.database import Cx

SIGN_IN_LIFETIME = timedelta(minutes=15)


class Sealer:
    """Encrypts small secrets with the first of its keys and decrypts them with any (newest first)."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys or isinstance(keys, bytes):
            raise ValueError("a Sealer needs a list of one or more Fernet keys")
        self._newest = Fernet(keys[0])
        self._any = MultiFernet([Fernet(key) for key in keys])

    def seal(self, text: str) -> str:
        """Encrypt with the newest key."""
        return self._newest.encrypt(text.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str | None:
        """Decrypt with any key; None when no key opens it (a key dropped from the list) or it was tampered with."""
        opened = self.open_stale(sealed)
        return opened[0] if opened else None

    def open_stale(self, sealed: str) -> tuple[str, bool] | None:
        """(text, whether it was sealed with an older key and should be re-sealed); None as for `open`."""
        token = sealed.encode("ascii")
        try:
            return self._newest.decrypt(token).decode("utf-8"), False
        except InvalidToken:
            pass
        try:
            return self._any.decrypt(token).decode("utf-8"), True
        except InvalidToken:
            return None


@dataclass(frozen=True)
class PendingSignIn:
    """A sign-in started from Teams and not finished yet."""

    state: str
    aad_id: str
    flow: dict[str, Any]
    conversation_key: str
    resume: str | None
    created_at: datetime


def save_token_cache(cx: Cx, sealer: Sealer, aad_id: str, username: str, cache: str, now: datetime) -> None:
    """Store (or replace) a technician's token cache, encrypted."""
    cx.execute(
        "INSERT INTO user_tokens (aad_id, username, cache, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (aad_id)"
        " DO UPDATE SET username = excluded.username, cache = excluded.cache, updated_at = excluded.updated_at",
        (aad_id, username, sealer.seal(cache), to_iso(now)),
    )


def token_cache(cx: Cx, sealer: Sealer, aad_id: str) -> tuple[str, str] | None:
    """(username, decrypted cache) of a technician, or None. A cache sealed with an older key is re-sealed with the
    newest (its sign-in time kept), so once every technician has used theirs the old key can be dropped."""
    row = cx.one("SELECT username, cache FROM user_tokens WHERE aad_id = ?", (aad_id,))
    opened = sealer.open_stale(row["cache"]) if row else None
    if row is None or opened is None:
        return None
    cache, stale = opened
    if stale:
        resealed = sealer.seal(cache)
        cx.execute("UPDATE user_tokens SET cache = ? WHERE aad_id = ? AND cache = ?", (resealed, aad_id, row["cache"]))
    return row["username"], cache


def signed_in(cx: Cx) -> list[str]:
    """Technicians with a stored sign-in, most recently refreshed first."""
    return [r["aad_id"] for r in cx.all("SELECT aad_id FROM user_tokens ORDER BY updated_at DESC")]


def delete_token_cache(cx: Cx, aad_id: str) -> bool:
    """Forget a technician's sign-in; False when there was none."""
    return cx.execute("DELETE FROM user_tokens WHERE aad_id = ?", (aad_id,)) == 1


def save_sign_in(cx: Cx, sealer: Sealer, pending: PendingSignIn) -> None:
    """Remember a started sign-in (the flow holds the PKCE verifier, so it is encrypted too)."""
    cx.execute(
        "INSERT INTO sign_ins (state, aad_id, flow, conversation_key, resume, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (
            pending.state,
            pending.aad_id,
            sealer.seal(json.dumps(pending.flow)),
            pending.conversation_key,
            pending.resume,
            to_iso(pending.created_at),
        ),
    )


def take_sign_in(cx: Cx, sealer: Sealer, state: str, now: datetime) -> PendingSignIn | None:
    """The pending sign-in for `state`, removed (a state is used once); None when unknown or expired."""
    pending = peek_sign_in(cx, sealer, state, now)
    cx.execute("DELETE FROM sign_ins WHERE state = ?", (state,))
    prune_sign_ins(cx, now)
    return pending


def peek_sign_in(cx: Cx, sealer: Sealer, state: str, now: datetime) -> PendingSignIn | None:
    """A pending sign-in without using it up (to redirect the browser to Entra); None when unknown or expired, so
    nobody goes through Entra ID's sign-in only to be refused at the callback."""
    row = cx.one("SELECT * FROM sign_ins WHERE state = ?", (state,))
    flow = sealer.open(row["flow"]) if row else None
    created = from_iso(row["created_at"]) if row else None
    if row is None or flow is None or created is None or now - created > SIGN_IN_LIFETIME:
        return None
    return PendingSignIn(row["state"], row["aad_id"], json.loads(flow), row["conversation_key"], row["resume"], created)


def prune_sign_ins(cx: Cx, now: datetime) -> int:
    """Forget sign-ins whose browser never came back within their lifetime."""
    return cx.execute("DELETE FROM sign_ins WHERE created_at < ?", (to_iso(now - SIGN_IN_LIFETIME),))
