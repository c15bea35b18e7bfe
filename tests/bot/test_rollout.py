"""Roll-out in the bot (issue 16): the install event (`conversationUpdate` with membersAdded holding the bot, in a
personal scope — emulator/bot_events.py) greets a person once across redeliveries and restarts, and keeps the chat's
reference."""

from __future__ import annotations

from pathlib import Path

from emulator.bot_events import personal_install_activity
from tests.bot.helpers import card_text, rows
from tests.support.activities import BOT_ID, BOT_NAME, Chat
from tests.support.connector import LocalConnector
from tests.support.harness import local_settings, start_desk


def install_event(chat: Chat) -> dict[str, object]:
    """What Teams sends after the app is installed for the chat's person (a fresh activity id each time)."""
    sender = chat.sender
    event = personal_install_activity(
        bot_id=BOT_ID.removeprefix("28:"),
        bot_name=BOT_NAME,
        tenant_id=sender.tenant_id,
        user_aad_id=sender.aad_id,
        user_name=sender.name,
        service_url=chat.service_url,
        conversation_id=chat.conversation_id,
    )
    event["from"] = {"id": sender.user_id, "name": sender.name, "aadObjectId": sender.aad_id}
    return event


async def test_install_event_welcomes_once_across_redelivery_and_restart(
    tmp_path: Path, connector: LocalConnector, customer_chat: Chat
) -> None:
    settings = local_settings(tmp_path, connector)
    desk = await start_desk(settings, connector)
    try:
        await desk.send(install_event(customer_chat))
        await desk.send(install_event(customer_chat))  # Teams redelivers, or the app is reinstalled
        await desk.delivered()
        welcomes = [p for p in connector.posts(customer_chat.conversation_id) if p.cards]
        assert len(welcomes) == 1
        assert "Contoso Cloud Services" in card_text(welcomes[0].cards[0])
        saved = await rows(desk, "SELECT key FROM conversations WHERE key = ?", (customer_chat.conversation_id,))
        assert saved, "the chat's reference is kept for later messages"
    finally:
        await desk.close()
    again = await start_desk(settings, connector)  # a restart: the record is in the database
    try:
        await again.send(install_event(customer_chat))
        await again.delivered()
    finally:
        await again.close()
    assert len([p for p in connector.posts(customer_chat.conversation_id) if p.cards]) == 1
