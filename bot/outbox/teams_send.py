"""One outbox message to Teams through the SDK adapter: a post, a reply in a channel thread, a new channel thread,
or an update of an earlier message."""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationParameters, ConversationReference
from msrest.exceptions import DeserializationError

from bot.edge.adapter import DeskAdapter
from bot.edge.outgoing import without_copies
from desk.outbox import Card, Operation
from desk.store import outbox as outbox_sql
from desk.store import tickets as ticket_sql
from desk.store.conversations import Conversation
from desk.store.database import Database
from desk.store.outbox import OutboxMessage

logger = logging.getLogger(__name__)


class Undeliverable(Exception):
    """A message that must not (or can no longer) be sent."""


class TeamsSend:
    """Makes the one request a message needs (no retries here: the sender decides those)."""

    def __init__(self, adapter: DeskAdapter, db: Database, app_id: str) -> None:
        self._adapter = adapter
        self._db = db
        self._app_id = app_id

    async def send(self, message: OutboxMessage, conversation: Conversation) -> str | None:
        """Send (or update) the message; returns the activity id Teams gave it. Raises the SDK's
        ErrorResponseException for an error answer, Undeliverable when the card it targets was never posted."""
        out = message.outgoing
        activity = without_copies(Activity().deserialize(out.activity))
        reference = ConversationReference().deserialize(conversation.reference)
        reference.activity_id = None
        if out.operation is Operation.POST and conversation.kind == "channel" and not out.thread_id:
            return await self._new_thread(reference, conversation, activity)
        thread = out.thread_id
        if out.operation in (Operation.REPLY, Operation.UPDATE) and (out.card is not None or out.card_key):
            target = await self._card_activity(message)
            thread = thread or target
            if out.operation is Operation.UPDATE:
                activity.id = target
        elif out.operation is Operation.UPDATE:
            activity.id = out.target_activity_id
        if thread and conversation.kind == "channel":
            reference.conversation.id = f"{conversation.key};messageid={thread}"
        result: dict[str, str | None] = {}
        failed: list[Exception] = []

        async def callback(context: TurnContext) -> None:
            # The adapter's pipeline hands a callback's exception to on_turn_error, which logs it and writes an
            # apology to the conversation: the send would count as delivered. Keep it, raise it below instead.
            try:
                if out.operation is Operation.UPDATE:
                    await context.update_activity(activity)
                    result["id"] = activity.id
                else:
                    response = await context.send_activity(activity)
                    result["id"] = response.id if response else None
            except DeserializationError as error:
                # Only a 2xx answer's body is read (an error status raises ErrorResponseException first): Teams took
                # the activity, and sending it again would post it twice. Its id is unknown.
                logger.warning("outbox %s delivered, but Teams' answer is unreadable: %s", message.id, error)
                result["id"] = activity.id if out.operation is Operation.UPDATE else None
            except Exception as error:
                failed.append(error)

        await self._adapter.continue_conversation(reference, callback, bot_app_id=self._app_id)
        if failed:
            raise failed[0]
        return result.get("id")

    async def _card_activity(self, message: OutboxMessage) -> str:
        out = message.outgoing
        if out.card_key:
            key = out.card_key
            target = await self._db.run(lambda cx: outbox_sql.posted(cx, key))
        else:
            card = out.card or Card.TRIAGE
            target = await self._db.run(lambda cx: ticket_sql.card_activity(cx, out.ticket_id or 0, card.value))
        if not target:
            raise Undeliverable(f"the card {out.card_key or (out.card.value if out.card else '')} was never posted")
        return target

    async def _new_thread(
        self, reference: ConversationReference, conversation: Conversation, activity: Activity
    ) -> str | None:
        """Post a new thread in a channel (create conversation with the channel id)."""
        channel_data = {"channel": {"id": conversation.key}, "tenant": {"id": conversation.tenant_id}}
        params = ConversationParameters(
            is_group=True,
            bot=reference.bot,
            channel_data=channel_data,
            tenant_id=conversation.tenant_id,
            activity=activity,
        )
        created: dict[str, str | None] = {}

        async def callback(context: TurnContext) -> None:
            thread = context.activity.conversation.id or ""
            created["id"] = thread.split(";messageid=", 1)[1] if ";messageid=" in thread else context.activity.id

        await self._adapter.create_conversation(
            self._app_id, callback, params, reference.channel_id or "msteams", conversation.service_url
        )
        return created.get("id")
