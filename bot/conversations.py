"""Reading Teams conversation facts off an activity: scope, tenant, stable keys, storable references."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from desk.store.conversations import Conversation

PERSONAL, CHANNEL, GROUP = "personal", "channel", "groupChat"


def scope_of(activity: Activity) -> str:
    """personal, channel or groupChat."""
    kind = (activity.conversation.conversation_type or "").lower() if activity.conversation else ""
    if kind == "channel" or channel_id(activity):
        return CHANNEL
    if kind == "groupchat" or (activity.conversation and activity.conversation.is_group):
        return GROUP
    return PERSONAL


def tenant_of(activity: Activity) -> str:
    """The tenant the activity comes from (conversation.tenantId, else channelData.tenant.id)."""
    tenant = activity.conversation.tenant_id if activity.conversation else None
    if not tenant:
        tenant = ((_channel_data(activity).get("tenant") or {}).get("id")) or ""
    return str(tenant).lower()


def channel_id(activity: Activity) -> str | None:
    """The Teams channel id of a channel activity."""
    channel = _channel_data(activity).get("channel") or {}
    return channel.get("id")


def conversation_key(activity: Activity) -> str:
    """The conversation id without a thread suffix: the channel for channel threads."""
    return channel_id(activity) or activity.conversation.id.split(";messageid=", 1)[0]


def record_of(activity: Activity) -> Conversation:
    """A storable reference for the activity's conversation (for a channel: the channel, not the thread)."""
    reference = TurnContext.get_conversation_reference(activity)
    reference.activity_id = None
    key = conversation_key(activity)
    reference.conversation.id = key
    scope = scope_of(activity)
    return Conversation(
        key=key,
        reference=reference.serialize(),
        service_url=activity.service_url,
        tenant_id=tenant_of(activity),
        kind=scope,
        user_aad_id=(activity.from_property.aad_object_id or "").lower() if scope == PERSONAL else None,
        locale=activity.locale,
    )


def _channel_data(activity: Activity) -> dict[str, Any]:
    data = activity.channel_data
    if isinstance(data, dict):
        return data
    if data is not None and hasattr(data, "serialize"):
        return data.serialize()
    return {}
