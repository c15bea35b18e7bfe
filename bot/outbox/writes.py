"""One sender's writes to the outbox, one transaction at a time; the outcomes of deliveries that ended while another
write ran are recorded together, in one transaction (a group commit).

Why: on PostgreSQL every unit of work is SERIALIZABLE, and two of a sender's own transactions conflicted all the time
— a claim reads every due head while an outcome rewrites one of them, and two outcomes rewrite rows of one index
page — so that one of each pair was run again: in a fan-out of 1,000 notices, a third of the claims and of the
outcomes. Taking turns, a sender conflicts only with other instances; recording together, it makes one transaction
where there were as many as the deliveries that just ended. SQLite's writers take turns anyway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from desk.store.database import Cx, Database, DatabaseUnavailable

logger = logging.getLogger(__name__)


class SerialWrites:
    """A sender's transactions, in turn; outcomes (`record`) batched."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._turn = asyncio.Lock()
        self._waiting: list[tuple[Callable[[Cx], bool], asyncio.Future[bool]]] = []

    @property
    def turn(self) -> asyncio.Lock:
        """Held for a transaction of its own (a claim): `async with writes.turn: ...`."""
        return self._turn

    async def record(self, work: Callable[[Cx], bool]) -> bool:
        """Run `work` (an outcome), in one transaction with the other outcomes waiting for their turn; returns its
        result once committed. Raises DatabaseUnavailable (all of the batch are then unrecorded) as `Database.run`."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((work, done))
        async with self._turn:
            if not done.done():  # else an earlier caller's batch took ours along
                batch, self._waiting = self._waiting, []
                await self._commit(batch)
        return await done

    async def _commit(self, batch: list[tuple[Callable[[Cx], bool], asyncio.Future[bool]]]) -> None:
        """Commit `batch` and settle each of its callers' futures, whatever happens: they wait on them."""
        try:
            try:
                results = await self._db.run(lambda cx: [work(cx) for work, _ in batch])
            except DatabaseUnavailable as error:
                for _, done in batch:
                    done.set_exception(error)
            except Exception as error:
                if len(batch) == 1:
                    batch[0][1].set_exception(error)
                    return
                # One outcome's work failed and took the batch with it: record each on its own, so that only that
                # one is left unrecorded.
                logger.warning("recording %d outcomes together failed; recording each alone", len(batch))
                for work, done in batch:
                    try:
                        done.set_result(await self._db.run(work))
                    except Exception as one:
                        done.set_exception(one)
            else:
                for (_, done), result in zip(batch, results, strict=True):
                    done.set_result(result)
        finally:
            # Cancelled meanwhile (the sender stopping): the rest may not have been recorded; recording a delivery
            # tries again on DatabaseUnavailable.
            for _, done in batch:
                if not done.done():
                    done.set_exception(DatabaseUnavailable("recording the outcome was interrupted"))
