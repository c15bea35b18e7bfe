"""Reading Teams conversation facts off an activity: scope, tenant, stable keys, storable references."""

from __future__ import annotations

import re
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


def one_to_one(activity: Activity) -> bool:
    """Whether the activity comes from a one-to-one chat with the bot, where the conversation's tenant is the
    sender's own (Teams runs no apps in one-to-one chats with external users:
    https://learn.microsoft.com/microsoftteams/platform/concepts/build-and-test/shared-channels). Anything not
    positively personal counts as shared."""
    conversation = activity.conversation
    kind = (conversation.conversation_type or "").lower() if conversation else ""
    return kind == "personal" and not conversation.is_group and channel_id(activity) is None


def tenant_of(activity: Activity) -> str:
    """The tenant the activity comes from (conversation.tenantId, else channelData.tenant.id)."""
    tenant = activity.conversation.tenant_id if activity.conversation else None
    if not tenant:
        tenant = _field(_channel_data(activity), "tenant", "id")
    return str(tenant or "").lower()


def channel_id(activity: Activity) -> str | None:
    """The Teams channel id of a channel activity."""
    found = _field(_channel_data(activity), "channel", "id")
    return found if isinstance(found, str) and found else None


def channel_name(activity: Activity) -> str | None:
    """The Teams channel's name when the activity carries it (channelData.channel.name: Teams sends it with some
    channel events, not with every message; the General channel has none)."""
    found = _field(_channel_data(activity), "channel", "name")
    return found.strip()[:100] if isinstance(found, str) and found.strip() else None


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


def record_of_json(activity: dict[str, Any]) -> Conversation:
    """`record_of` for an activity as JSON (tools and benchmarks outside bot/ keep the SDK's types out)."""
    return record_of(Activity().deserialize(activity))


def _channel_data(activity: Activity) -> dict[str, Any]:
    data = activity.channel_data
    if isinstance(data, dict):
        return data
    if data is not None and hasattr(data, "serialize"):
        return data.serialize()
    return {}


def _field(data: dict[str, Any], outer: str, inner: str) -> Any:
    """data[outer][inner], or None when either level is missing or not an object (channelData is client input)."""
    value = data.get(outer)
    return value.get(inner) if isinstance(value, dict) else None


def text_without_bot_mention(activity: Activity) -> str:
    """The activity's text with the bot's own @mention removed (as the SDK's remove_recipient_mention does, but
    skipping entities that are not well-formed mentions instead of failing on them)."""
    text = activity.text or ""
    bot_id = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        data = entity if isinstance(entity, dict) else _entity_fields(entity)
        if str(data.get("type") or "").lower() != "mention":
            continue
        mentioned, shown = data.get("mentioned"), data.get("text")
        if isinstance(mentioned, dict) and mentioned.get("id") == bot_id and isinstance(shown, str) and shown:
            text = text.replace(shown, "")
    return _without_leading_name(text, activity.recipient.name if activity.recipient else None)


def _without_leading_name(text: str, name: str | None) -> str:
    """Text that starts with the bot's name (typed, not picked from the @ menu, so no mention entity came with it:
    "@Partner Desk queue", "<at>Partner Desk</at> queue", "Partner Desk: queue") without that name. The name must
    end at a word boundary ("@Partner Desks" is someone else); without an @ it needs a colon or comma after it, so
    a customer's "Partner Desk is broken" keeps its subject."""
    if not name or not name.strip():
        return text
    named = re.escape(name.strip())
    pattern = rf"\s*(?:<at>\s*{named}\s*</at>|@{named}(?![\w@])|{named}\s*[,:])[\s,:]*"
    match = re.match(pattern, text, re.IGNORECASE)
    return text[match.end() :] if match else text


def _entity_fields(entity: object) -> dict[str, Any]:
    """An SDK Entity's fields: its type plus the properties the schema does not name (text, mentioned...)."""
    extra = getattr(entity, "additional_properties", None)
    return {**(extra if isinstance(extra, dict) else {}), "type": getattr(entity, "type", None)}
