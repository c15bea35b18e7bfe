"""The activity Teams sends a bot when its app is installed in a user's personal scope: `conversationUpdate` with
`membersAdded` naming the bot (and the user), conversation.conversationType "personal", channelData.tenant.id.

Shape: "Schema example: bot added to personal context" of
https://learn.microsoft.com/en-us/microsoftteams/platform/resources/bot-v3/bots-notifications (membersAdded carries
the bot "28:<bot id>" and the user "29:<id>" with aadObjectId; no channelData.eventType in a personal scope: that
names team events such as teamMemberAdded), and "Members added" of
https://learn.microsoft.com/en-us/microsoftteams/platform/bots/how-to/conversations/subscribe-to-conversation-events.
A proactive install through Graph is followed by this event
(https://learn.microsoft.com/en-us/microsoftteams/platform/graph-api/proactive-bots-and-messages/graph-proactive-bots-and-messages,
"Retrieve the conversation chatId").

Delivery to the bot's messages endpoint is not wired here: emulator/teams_book.py records each install made
through Graph (`TeamsBook.installs`) and the caller (a test, local mode) posts `personal_install_activity` of each."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any


def personal_install_activity(
    *,
    bot_id: str,
    bot_name: str,
    tenant_id: str,
    user_aad_id: str,
    user_name: str,
    service_url: str,
    conversation_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The conversationUpdate a bot gets when it is added to a user's personal scope."""
    user = {"id": f"29:{user_aad_id}", "aadObjectId": user_aad_id, "name": user_name}
    bot = {"id": f"28:{bot_id}", "name": bot_name}
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "type": "conversationUpdate",
        "id": f"f:{uuid.uuid4().hex[:8]}",
        "timestamp": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": user["id"], "aadObjectId": user_aad_id},
        "conversation": {
            "conversationType": "personal",
            "tenantId": tenant_id,
            "id": conversation_id or f"a:{uuid.uuid4().hex}",
        },
        "recipient": bot,
        "membersAdded": [{"id": bot["id"]}, {"id": user["id"], "aadObjectId": user_aad_id}],
        "channelData": {"tenant": {"id": tenant_id}},
    }
