"""When the triage channel refuses the bot (403: the app was removed from the team; 404: the channel was deleted), its
messages are held, not failed, and the technicians are told in their personal chats.

Why personal chats rather than the team's General channel: the desk stores the triage channel's conversation
reference only, not the team id Teams sends in channelData.team.id (the General channel's conversation id), and the
usual cause of a channel's 403 — the bot is no longer in the team's roster (BotNotInConversationRoster) — refuses
General just the same. A technician's 1:1 chat with the bot does not depend on the team. Technicians who never wrote
to the bot in a personal chat cannot be reached that way; /readyz reports the refused channel for operators.

The oldest held message probes the channel, first after `first_probe` seconds and then with doubling waits, a bounded
number of times; a success delivers it (once) and unblocks the channel, so the rest follow in order. After the last
probe the messages wait for `triage here` (desk/store/conversations.py `save_conversation` releases them)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.outbox.send_policy import SendPolicy
from cards.render import text_message
from desk.i18n import Translator
from desk.outbox import Operation, Outgoing
from desk.store import conversations as conv_sql
from desk.store import outbox as outbox_sql
from desk.store.conversations import Conversation
from desk.store.database import Cx
from desk.store.outbox import OutboxMessage

logger = logging.getLogger(__name__)


def hold_refused(
    cx: Cx, policy: SendPolicy, channel: Conversation, message: OutboxMessage, detail: str, now: datetime
) -> None:
    """The triage channel refused `message`: block it (once), hold the message until the next probe, and on the
    first refusal queue a notice to each technician's personal chat. One transaction."""
    refusals = conv_sql.refuse(cx, channel.key, detail, now)
    probe = now + timedelta(seconds=policy.probe_delay(refusals))
    until = probe if refusals <= policy.max_probes else outbox_sql.HELD
    outbox_sql.hold(cx, message.id, until, detail)
    if refusals > 1:
        logger.warning("triage channel %s still refuses the bot (%s); next probe %s", channel.key, detail, until)
        return
    held = outbox_sql.pending_in(cx, channel.key)
    chats = conv_sql.technician_chats(cx)
    outbox_sql.enqueue(cx, [notice(chat, detail, held) for chat in chats], now)
    logger.error(
        "triage channel %s refuses the bot (%s): %d messages held, %d technicians told in personal chats",
        channel.key,
        detail,
        held,
        len(chats),
    )


def hold_unprobed(cx: Cx, message: OutboxMessage) -> None:
    """A message for a triage channel past its last probe: held until a technician types `triage here`."""
    outbox_sql.hold(cx, message.id, outbox_sql.HELD, "the triage channel refuses the bot; waiting for triage here")


def notice(chat: Conversation, detail: str, held: int) -> Outgoing:
    """The message that tells a technician the triage channel refuses the bot."""
    t = Translator(chat.locale)
    return Outgoing(chat.key, Operation.POST, text_message(t("triage.unreachable", reason=detail[:200], held=held)))
