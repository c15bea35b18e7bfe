"""Who is who for a turn: the Teams facts the domain's Identifier needs, fetched only when needed and cached."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

from bot.turns.conversations import one_to_one, tenant_of
from desk.people import Identifier, Member, Person

logger = logging.getLogger(__name__)
MEMBER_CACHE_SECONDS = 600


class WhoIsWho:
    """Resolves the person behind a turn."""

    def __init__(self, identifier: Identifier, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._identifier = identifier
        self._now = monotonic
        self._members: dict[tuple[str, str], tuple[float, Member]] = {}

    async def person(self, context: TurnContext) -> Person:
        """The sender of the turn's activity, with their role."""
        activity = context.activity
        sender = activity.from_property
        tenant = tenant_of(activity)
        aad_id = (sender.aad_object_id or "").lower() if sender else ""

        async def member() -> Member:
            return await self._member(context, tenant, aad_id)

        name = (sender.name if sender else "") or ""
        return await self._identifier.resolve(tenant, aad_id, name, member, personal=one_to_one(activity))

    async def email(self, context: TurnContext) -> str:
        """The sender's e-mail address from the Teams roster ('' when unknown)."""
        sender = context.activity.from_property
        member = await self._member(context, tenant_of(context.activity), (sender.aad_object_id or "").lower())
        return member.email

    async def _member(self, context: TurnContext, tenant: str, aad_id: str) -> Member:
        key = (tenant, aad_id)
        cached = self._members.get(key)
        if cached and self._now() - cached[0] < MEMBER_CACHE_SECONDS:
            return cached[1]
        try:
            account = await TeamsInfo.get_member(context, context.activity.from_property.id)
            found = Member(
                email=(account.email or account.user_principal_name or "").lower(),
                user_role=(account.user_role or "unknown").lower(),
                # The account's own tenant: in a shared channel the activity carries the host's tenant instead.
                tenant_id=(account.tenant_id or "").lower(),
            )
        except Exception as error:  # the roster may be unavailable (other channels, bot not in roster)
            logger.info("member lookup failed for %s: %s", aad_id, error)
            return Member(user_role="unknown")
        self._members[key] = (self._now(), found)
        if len(self._members) > 5_000:
            self._members.clear()
        return found
