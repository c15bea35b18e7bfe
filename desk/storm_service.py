"""Storm mode's rounds (desk/storm.py), one transaction per triage channel in storm."""

from __future__ import annotations

from desk.service_base import DeskBase
from desk.store import storm as storm_sql
from desk.storm import CardOf, RoundResult, SummaryOf, storm_round


class StormService(DeskBase):
    """What the storm job asks of the desk."""

    async def storm_channels(self) -> list[str]:
        """The triage channels in storm."""
        return await self.db.read(storm_sql.active_channels)

    async def storm_round(self, conversation_key: str, card_of: CardOf, summary_of: SummaryOf) -> RoundResult:
        """Release what the channel's queue has room for and bring its summary up to date (desk/storm.py)."""
        policy = self.storm
        # The time is read inside the unit of work: when a round is run again after a conflict with another
        # instance's round (PostgreSQL), its release times follow the order the rounds committed in.
        result = await self.db.run(
            lambda cx: storm_round(cx, conversation_key, self._clock(), policy, card_of, summary_of)
        )
        if result.released or result.summary:
            self.on_outbox()
        return result
