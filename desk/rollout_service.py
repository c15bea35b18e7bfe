"""Running a confirmed roll-out (issue 16): install the desk's Teams app for each pending person of the roll-out, at a
pace well inside Graph's Teams limit (30 requests per second per app per tenant for POST installedApps,
https://learn.microsoft.com/en-us/graph/throttling-limits#microsoft-teams-service-limits), honouring a 429's
Retry-After (https://learn.microsoft.com/graph/throttling) a bounded number of times.

Each person's outcome is written as soon as it is known, and only pending people are tried: after a restart the
roll-out resumes where it stopped. A person whose install went through just before a crash answers 409 on the next
try (an app already installed in the scope) and is recorded as skipped — never installed twice. One instance works
on a roll-out at a time: the caller holds the lease `rollout:<id>` (bot/jobs/rollout.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from desk.clock import Clock, utc_now
from desk.outbox import Outgoing
from desk.store import outbox as outbox_sql
from desk.store import rollouts as sql
from desk.store.database import Cx, Database
from desk.store.rollouts import Counts, Rollout
from msapi.errors import ConsentMissing, MicrosoftApiError

BATCH = 50


class Installer(Protocol):
    """msapi.teams_apps.TeamsAppsClient's install: True installed now, False there already (409)."""

    async def install(self, tenant_id: str, user: str, teams_app_id: str) -> bool: ...


ProgressCard = Callable[[Rollout, Counts, bool], Outgoing]


@dataclass(frozen=True)
class Pace:
    """How fast and how stubbornly a roll-out installs."""

    per_second: float = 5.0  # well under Graph's 30 per second per app per tenant
    throttle_retries: int = 5  # 429s waited out per person before the person is recorded as failed
    attempts: int = 3  # tries per person for other errors
    progress_every: timedelta = timedelta(seconds=5)  # at most one progress card update this often
    longest_wait: float = 120.0  # a Retry-After longer than this is cut to it


class RolloutRunner:
    """Works through a roll-out's pending people; `sleep` and `clock` are injected so tests drive the pace."""

    def __init__(
        self,
        db: Database,
        installer: Installer,
        progress_card: ProgressCard,
        pace: Pace = Pace(),
        clock: Clock = utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._db = db
        self._installer = installer
        self._card = progress_card
        self._pace = pace
        self._clock = clock
        self._sleep = sleep

    async def run(self, rollout_id: int, still_mine: Callable[[], Awaitable[bool]] | None = None) -> Counts | None:
        """Install for every pending person, then finish the roll-out; None when it is not running. Returns early
        (the pending rows stay for whoever resumes) when `still_mine` says the lease was lost."""
        while True:
            rollout = await self._db.read(lambda cx: sql.get(cx, rollout_id))
            if rollout is None or rollout.state != sql.RUNNING:
                return None
            batch = await self._db.read(lambda cx: sql.pending(cx, rollout_id, BATCH))
            if not batch:
                return await self._finish(rollout)
            for person in batch:
                state, reason = await self._reach(rollout, person.user_id)
                await self._record(rollout, person.user_id, state, reason)
                await self._sleep(1.0 / self._pace.per_second)
            if still_mine is not None and not await still_mine():
                return None

    async def _reach(self, rollout: Rollout, user_id: str) -> tuple[str, str | None]:
        """Install for one person: (installed | skipped | failed, the reason of a failure)."""
        throttled = failures = 0
        while True:
            try:
                done = await self._installer.install(rollout.tenant_id, user_id, rollout.app_id)
            except ConsentMissing as error:
                return sql.FAILED, f"permission missing: {error.permission}"  # retrying cannot fix it
            except MicrosoftApiError as error:
                if error.status == 429 and throttled < self._pace.throttle_retries:
                    throttled += 1
                    wait = float(getattr(error, "retry_after", 0.0) or 1.0)
                    await self._sleep(min(wait, self._pace.longest_wait))
                    continue
                failures += 1
                if error.status != 429 and failures < self._pace.attempts and _transient(error.status):
                    await self._sleep(2.0**failures)
                    continue
                return sql.FAILED, _reason(error)
            return (sql.INSTALLED, None) if done else (sql.SKIPPED, "already had the app")

    async def _record(self, rollout: Rollout, user_id: str, state: str, reason: str | None) -> None:
        await self._db.run(lambda cx: self._settle(cx, rollout, user_id, state, reason))

    def _settle(self, cx: Cx, rollout: Rollout, user_id: str, state: str, reason: str | None) -> None:
        sql.settle(cx, rollout.id, user_id, state, reason)
        now = self._clock()
        current = sql.get(cx, rollout.id)
        if current is None or (current.progress_at and now - current.progress_at < self._pace.progress_every):
            return
        outbox_sql.upsert_card(cx, self._card(current, sql.counts(cx, rollout.id), False), now)
        sql.mark_progress(cx, rollout.id, now)

    async def _finish(self, rollout: Rollout) -> Counts:
        now = self._clock()

        def work(cx: Cx) -> Counts:
            counts = sql.counts(cx, rollout.id)
            if sql.move(cx, rollout.id, sql.RUNNING, sql.DONE, now):
                current = sql.get(cx, rollout.id) or rollout
                outbox_sql.upsert_card(cx, self._card(current, counts, True), now)
                sql.mark_progress(cx, rollout.id, now)
            return counts

        return await self._db.run(work)


def _transient(status: int | None) -> bool:
    return status is None or status >= 500 or status == 429


def _reason(error: MicrosoftApiError) -> str:
    code = f" {error.code}" if error.code else ""
    return f"Graph answered {error.status or 'no answer'}{code}"
