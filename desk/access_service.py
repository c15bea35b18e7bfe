"""Technicians' Partner Center sign-ins as the desk keeps them: token caches and pending sign-ins, encrypted."""

from __future__ import annotations

from desk.service_base import DeskBase
from desk.store import tokens as token_sql
from desk.store.tokens import PendingSignIn, Sealer


class AccessService(DeskBase):
    """Sign-in storage, each operation one transaction. `sealer` is set at start-up from TOKEN_CACHE_KEY
    (one or more keys, newest first)."""

    sealer: Sealer | None = None

    def _seal(self) -> Sealer:
        if self.sealer is None:
            raise RuntimeError("no TOKEN_CACHE_KEY: technician sign-in is not configured")
        return self.sealer

    async def save_sign_in(self, pending: PendingSignIn) -> None:
        """Remember a sign-in started from Teams until its browser comes back."""
        sealer = self._seal()
        await self.db.run(lambda cx: token_sql.save_sign_in(cx, sealer, pending))

    async def peek_sign_in(self, state: str) -> PendingSignIn | None:
        """A pending sign-in, still pending. A read only: anyone can send a browser here with any state, and that
        must not take the write lock."""
        sealer = self._seal()
        now = self._clock()
        return await self.db.read(lambda cx: token_sql.peek_sign_in(cx, sealer, state, now))

    async def take_sign_in(self, state: str) -> PendingSignIn | None:
        """A pending sign-in, used up (a state works once, within its lifetime)."""
        sealer = self._seal()
        now = self._clock()
        return await self.db.run(lambda cx: token_sql.take_sign_in(cx, sealer, state, now))

    async def save_token_cache(self, aad_id: str, username: str, cache: str) -> None:
        """Store a technician's token cache, encrypted."""
        sealer = self._seal()
        now = self._clock()
        await self.db.run(lambda cx: token_sql.save_token_cache(cx, sealer, aad_id, username, cache, now))

    async def token_cache(self, aad_id: str) -> tuple[str, str] | None:
        """(username, cache) of a signed-in technician (re-sealed with the newest key if an older one opened it)."""
        sealer = self._seal()
        return await self.db.run(lambda cx: token_sql.token_cache(cx, sealer, aad_id))

    async def signed_in_technicians(self) -> list[str]:
        """Who has a stored sign-in, most recent first."""
        return await self.db.run(token_sql.signed_in)

    async def forget_token_cache(self, aad_id: str) -> bool:
        """Sign a technician out."""
        return await self.db.run(lambda cx: token_sql.delete_token_cache(cx, aad_id))
