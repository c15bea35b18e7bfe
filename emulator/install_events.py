"""Teams telling the bot about a personal install (issue 16): after the emulator installs the app for a user through
Graph, it POSTs the `conversationUpdate` (membersAdded holding the bot, personal scope — emulator/bot_events.py) to
the bot's messaging endpoint, as Teams does after a proactive install
(https://learn.microsoft.com/en-us/microsoftteams/platform/graph-api/proactive-bots-and-messages/graph-proactive-bots-and-messages).

The event is sent after Graph's 201, from its own task (Teams sends it asynchronously), with a bounded number of
tries; its serviceUrl is the Bot Connector the bot answers to, which must be one the bot allows
(SERVICE_URL_ALLOWLIST). Each user's personal chat keeps one id across reinstalls (`a:personal-<user id>`), unless
`chats` names the chat: local mode sends the customer playground's own user to the playground's personal chat, so
the welcome card shows there (emulator/local.py)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import httpx

from emulator.bot_events import personal_install_activity
from emulator.demo_directory import DirectoryUser

logger = logging.getLogger(__name__)
TRIES = 3


@dataclass
class InstallEvents:
    """Where install events go: the bot's /api/messages, and the serviceUrl the bot should answer through."""

    messages_url: str
    service_url: str
    bot_id: str
    bot_name: str = "Partner Desk"
    # (tenant, user id) -> (serviceUrl, conversation id) of a personal chat known beforehand.
    chats: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    sent: list[tuple[str, str]] = field(default_factory=list)  # (tenant, user id) delivered, in order
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def schedule(self, tenant_id: str, user: DirectoryUser) -> None:
        """Send the event for `user` from a task of the running loop (the install's answer does not wait for it)."""
        task = asyncio.get_running_loop().create_task(self.deliver(tenant_id, user))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def deliver(self, tenant_id: str, user: DirectoryUser) -> None:
        """POST the event; a few tries, then it is logged as lost (Teams does not retry forever either)."""
        service_url, chat_id = self.chats.get((tenant_id, user.id), (self.service_url, f"a:personal-{user.id}"))
        activity = personal_install_activity(
            bot_id=self.bot_id,
            bot_name=self.bot_name,
            tenant_id=tenant_id,
            user_aad_id=user.id,
            user_name=user.display_name,
            service_url=service_url,
            conversation_id=chat_id,
        )
        activity["from"]["name"] = user.display_name
        async with httpx.AsyncClient(timeout=30) as client:
            for attempt in range(1, TRIES + 1):
                try:
                    response = await client.post(self.messages_url, json=activity)
                except httpx.HTTPError as error:
                    logger.warning("install event for %s: try %d failed: %s", user.id, attempt, error)
                else:
                    if response.status_code < 500:
                        self.sent.append((tenant_id, user.id))
                        return
                    logger.warning("install event for %s: bot answered %d", user.id, response.status_code)
                await asyncio.sleep(0.2 * attempt)
        logger.error("install event for %s in %s not delivered", user.id, tenant_id)

    async def drain(self) -> None:
        """Wait for the events under way (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
