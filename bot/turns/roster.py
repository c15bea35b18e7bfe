"""Reading a team's members through the connector (paged, as Teams requires for large teams)."""

from __future__ import annotations

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema.teams import TeamsChannelAccount

MAX_PAGES = 50


async def roster(context: TurnContext) -> list[TeamsChannelAccount]:
    """Every member of the team the activity comes from (bounded to MAX_PAGES pages of 500)."""
    members: list[TeamsChannelAccount] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        page = await TeamsInfo.get_paged_team_members(context, continuation_token=token, page_size=500)
        members.extend(page.members or [])
        token = page.continuation_token
        if not token:
            break
    return members
