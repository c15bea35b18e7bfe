"""Outgoing JSON the SDK passes on as it is instead of copying it. TurnContext.send_activities deep-copies every
activity a turn or the outbox sends, and a card is most of it, hundreds of nodes; a card is built (or read from the
outbox) for that one message and never changed once handed to the SDK."""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity, Attachment


class SentAttachment(Attachment):
    """An attachment of one outgoing message."""

    def __deepcopy__(self, memo: dict[int, Any]) -> SentAttachment:
        return self


class SentJson(dict[str, Any]):
    """An invoke's answer (the HTTP body's JSON). Never inside an SDK model: msrest serialises only exact dicts."""

    def __deepcopy__(self, memo: dict[int, Any]) -> SentJson:
        return self


def without_copies(activity: Activity) -> Activity:
    """`activity` with its attachments passed on as they are when it is sent."""
    if activity.attachments:
        activity.attachments = [_sent(attachment) for attachment in activity.attachments]
    return activity


def _sent(attachment: Attachment) -> Attachment:
    if isinstance(attachment, SentAttachment):
        return attachment
    sent = SentAttachment()
    sent.__dict__.update(attachment.__dict__)
    return sent
