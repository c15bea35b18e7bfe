"""What the roll-out feature and job ask of the desk (issue 16): propose, confirm or cancel a roll-out, list the
running ones, and record each person greeted on install once. SQL in desk/store/rollouts.py; the installs in
desk/rollout_service.py."""

from __future__ import annotations

from desk.outbox import Outgoing
from desk.service_base import DeskBase
from desk.store import outbox as outbox_sql
from desk.store import rollouts as sql
from desk.store.database import Cx
from desk.store.rollouts import Rollout, Target


class RolloutService(DeskBase):
    """Roll-outs and welcomes."""

    async def propose_rollout(
        self,
        tenant_id: str,
        customer_name: str,
        target: str,
        created_by: str,
        conversation_key: str,
        locale: str | None,
        people: list[Target],
    ) -> int:
        """Store a proposed roll-out (nothing happens until it is confirmed); its id."""
        now = self._clock()
        return await self.db.run(
            lambda cx: sql.create(
                cx, tenant_id, customer_name, target, created_by, conversation_key, locale, people, now
            )
        )

    async def rollout(self, rollout_id: int) -> Rollout | None:
        """One roll-out."""
        return await self.db.read(lambda cx: sql.get(cx, rollout_id))

    async def rollout_people(self, rollout_id: int) -> list[Target]:
        """The people a roll-out chose."""
        return await self.db.read(lambda cx: sql.people(cx, rollout_id))

    async def start_rollout(self, rollout_id: int, app_id: str, first_card: Outgoing) -> bool:
        """Confirm: the roll-out runs (the job picks it up) and its progress card is queued, in one transaction;
        False when it was not proposed any more (confirmed or cancelled already)."""
        now = self._clock()

        def work(cx: Cx) -> bool:
            if not sql.move(cx, rollout_id, sql.PROPOSED, sql.RUNNING, now, app_id=app_id):
                return False
            outbox_sql.upsert_card(cx, first_card, now)
            sql.mark_progress(cx, rollout_id, now)
            return True

        started = await self.db.run(work)
        if started:
            self.on_outbox()
        return started

    async def cancel_rollout(self, rollout_id: int) -> bool:
        """Cancel a proposed roll-out; False when it was not proposed any more."""
        now = self._clock()
        return await self.db.run(lambda cx: sql.move(cx, rollout_id, sql.PROPOSED, sql.CANCELLED, now))

    async def running_rollouts(self) -> list[int]:
        """The roll-outs the job works on."""
        return await self.db.read(sql.running)

    async def welcome_once(self, tenant_id: str, user_id: str, conversation_key: str) -> bool:
        """Record that the person is greeted; False when they were already (a redelivery, a reinstall)."""
        now = self._clock()
        return await self.db.run(lambda cx: sql.welcome_once(cx, tenant_id, user_id, conversation_key, now))

    async def forget_welcome(self, tenant_id: str, user_id: str) -> None:
        """The welcome could not be sent: let the next delivery of the event greet."""
        await self.db.run(lambda cx: sql.forget_welcome(cx, tenant_id, user_id))
