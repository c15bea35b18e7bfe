"""A database that goes down on the test's word: it delegates to the real (SQLite) database and raises
DatabaseUnavailable while down, as the PostgreSQL engine does when the server is unreachable."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

from desk.store.database import Cx, Database, DatabaseUnavailable, open_database

T = TypeVar("T")
REASON = "connection refused (the test stopped the database)"


class SwitchableDatabase:
    """The real database behind a switch. `down()` fails every call; `down(only_in="DatabaseStorage")` fails only
    calls made (directly or not) from functions whose qualified name starts with that (the SDK's state storage)."""

    def __init__(self, real: Database) -> None:
        self.real = real
        self._down = False
        self._only_in: str | None = None
        self._reason = REASON
        self.refused = 0  # calls refused while down

    def down(self, only_in: str | None = None, reason: str = REASON) -> None:
        """Stop answering (every caller, or only callers inside `only_in`), with the driver's `reason`."""
        self._down, self._only_in, self._reason = True, only_in, reason

    def up(self) -> None:
        """Answer again."""
        self._down, self._only_in = False, None

    async def run(self, work: Callable[[Cx], T]) -> T:
        self._check()
        return await self.real.run(work)

    async def read(self, work: Callable[[Cx], T]) -> T:
        self._check()
        return await self.real.read(work)

    async def ping(self) -> None:
        self._check()
        await self.real.ping()

    async def close(self) -> None:
        await self.real.close()

    def _check(self) -> None:
        if self._down and (self._only_in is None or _called_from(self._only_in)):
            self.refused += 1
            raise DatabaseUnavailable(self._reason)


def _called_from(prefix: str) -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_qualname.startswith(prefix):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


class Switch:
    """Opens the real database wrapped in a SwitchableDatabase (pass `switch.open` as start_desk's `open_db`)."""

    def __init__(self) -> None:
        self.db: SwitchableDatabase | None = None

    async def open(self, url: str, pool_size: int = 10) -> Database:
        self.db = SwitchableDatabase(await open_database(url, pool_size))
        return self.db
