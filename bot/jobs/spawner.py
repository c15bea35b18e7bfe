"""Work started by a turn that must outlive it (a sweep, a health check after a ticket): tracked, logged when it
fails, cancelled at shutdown, and awaitable by tests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from desk.outage import plain
from desk.store.database import DatabaseUnavailable

logger = logging.getLogger(__name__)


class Spawner:
    """Runs coroutines in the background and keeps track of them."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> None:
        """Start `work` now; its failure is logged, never lost."""
        task = asyncio.create_task(self._guarded(work, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every spawned task (and any they spawn) is done."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Cancel what is still running."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    @staticmethod
    async def _guarded(work: Coroutine[Any, Any, Any], name: str) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except DatabaseUnavailable as error:  # an outage, not a bug: no traceback
            logger.warning("background work %s stopped: database unreachable (%s)", name, plain(error))
        except Exception:
            logger.exception("background work %s failed", name)
