"""The roll-out job (issue 16): every few seconds, work on each confirmed roll-out (desk/rollout_service.py). One
instance at a time (the job's lease, bot/jobs/background.py); roll-outs of different customers run side by side, so
one slow customer never holds up another; a restart resumes each from its pending people."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.features.rollout import progress_outgoing
from bot.turns.services import Services
from desk.i18n import Translator
from desk.outbox import Outgoing
from desk.rollout_service import Pace, RolloutRunner
from desk.store.database import DatabaseUnavailable
from desk.store.rollouts import Counts, Rollout

logger = logging.getLogger(__name__)
ROLLOUT_CHECK_SECONDS = 5.0


def progress(rollout: Rollout, counts: Counts, final: bool) -> Outgoing:
    """The progress card in the language of the technician who asked."""
    return progress_outgoing(Translator(rollout.locale), rollout, counts, final)


async def rollout_rounds(
    services: Services, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, pace: Pace | None = None
) -> list[Counts | None]:
    """Run every confirmed roll-out to its end (or until this process stops); `sleep` and `pace` for tests."""
    apps = services.teams_apps
    if apps is None:
        return []
    ids = await services.desk.running_rollouts()
    if not ids:
        return []
    pace = pace or Pace(per_second=float(services.settings.rollout_per_second))
    runner = RolloutRunner(services.desk.db, apps, progress, pace, services.clock, sleep)

    async def one(rollout_id: int) -> Counts | None:
        try:
            counts = await runner.run(rollout_id)
        except DatabaseUnavailable:
            raise
        except Exception:
            logger.exception("roll-out %s failed; the next round resumes it", rollout_id)
            return None
        services.desk.on_outbox()
        return counts

    return list(await asyncio.gather(*(one(rollout_id) for rollout_id in ids)))
