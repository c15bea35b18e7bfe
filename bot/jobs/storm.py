"""The storm job (desk/storm.py): every few seconds, for each triage channel in storm, release the kept-back cards its
queue has room for and bring its summary card up to date. One instance at a time (bot/jobs/background.py lease)."""

from __future__ import annotations

import logging

from bot.features.storm import StormCards
from bot.turns.services import Services
from desk.store.database import DatabaseUnavailable
from desk.storm import RoundResult

logger = logging.getLogger(__name__)


async def storm_rounds(services: Services) -> list[RoundResult]:
    """One round for every channel in storm; a channel whose round fails does not hold up the others."""
    desk = services.desk
    keys = await desk.storm_channels()
    if not keys:
        return []
    cards = StormCards(services.clock, await desk.refresh_user_ids())
    results = []
    for key in keys:
        try:
            result = await desk.storm_round(key, cards.card, cards.summary)
        except DatabaseUnavailable:
            raise  # the job's loop reports the outage once and retries
        except Exception:
            logger.exception("storm round for channel %s failed", key)
            continue
        if result.over:
            logger.warning("storm over in channel %s", key)
        results.append(result)
    return results
