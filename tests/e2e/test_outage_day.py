"""An outage morning end to end in a real browser: Microsoft's incident EX123456 hits every customer, a storm of
tickets linked to it reaches the triage channel, the technician sees it on one summary card within a minute,
acknowledges the incident, answers every linked ticket at once and the customers are told; then `gdap`,
`changes fabrikam` and `routes`. Screenshots of every step go to test-output/e2e/."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Locator, expect

from emulator import demo
from tests.e2e.running import CHROMIUM, CHROMIUM_ARGS, ROOT, Bot, Playgrounds, missing_tools
from tests.e2e.storm import StormTicket, raise_storm, storm_chats
from tests.support.connector import LocalConnector
from tests.support.engines import engine

REASON = missing_tools()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(REASON is not None, reason=REASON or "")]
SHOTS = ROOT / "test-output" / "e2e"
STORM_CUSTOMERS = 30  # the emulator's extra customer tenants, one user each
STORM_TICKETS = 100  # with their incident notices, well over what Teams lets through one channel in 30 s
# The bot answers these last commands while it still sends the bulk reply's hundreds of messages, and the playground
# draws them while it still re-draws the triage channel's cards: give each the time that takes.
AFTER_STORM_MS = 90_000
ANSWER = "Microsoft is restoring mailbox access; we will tell you as soon as it is fixed."


@pytest.fixture
async def outage(tmp_path: Path) -> AsyncIterator[tuple[Bot, Playgrounds, LocalConnector]]:
    """The bot with the storm customers, both playgrounds, and the connector the storm's customers chat through."""
    env = {
        "PARTNER_NAME": "Contoso Cloud Services",
        "SUPPORT_HOURS": "24x7",
        "SUPPORT_EMAIL": "support@contosocloud.example",
        "HEALTH_POLL_SECONDS": "30",
        "EMULATOR_STORM_CUSTOMERS": str(STORM_CUSTOMERS),
    }
    bot = Bot(tmp_path / "data", env)
    bot.data.mkdir()
    connector = LocalConnector().start()
    bot.start()
    playgrounds = Playgrounds(tmp_path / "playground", bot.url)
    try:
        playgrounds.start()
        yield bot, playgrounds, connector
    finally:
        playgrounds.stop()
        bot.stop()
        connector.stop()


@pytest.mark.xfail(
    engine() == "postgresql",
    strict=False,
    reason="the Agents Playground sometimes does not draw a reply in its thread: on PostgreSQL in a local CI run "
    "the bot answered `triage here for critical` within a second (the playground's log panel shows `message 201` "
    "with the reply's text) but the thread under the post stayed empty for 90 s; earlier runs lost `changes "
    "fabrikam`'s card the same way. Every step passed on SQLite in each CI run.",
)
async def test_an_incident_storm_summarised_acknowledged_and_answered_at_once(outage):
    from playwright.async_api import async_playwright

    from tests.e2e.pages import TeamsPage

    bot, playgrounds, connector = outage
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = await browser.new_context(viewport={"width": 1400, "height": 1000})
        partner = TeamsPage(await context.new_page(), SHOTS, "outage-partner")
        customer = TeamsPage(await context.new_page(), SHOTS, "outage-customer")
        await partner.open(f"http://localhost:{playgrounds.partner_port}")
        await customer.open(f"http://localhost:{playgrounds.customer_port}")
        try:
            await partner.go_to_channel("Triage")
            await partner.post_mentioning_bot("triage here")
            await partner.see_text("This channel is now the triage channel. New tickets will be posted here.")

            # Microsoft's incident reaches every customer; the monitor posts one card for it.
            bot.start_incident_storm()
            incident = await partner.see_card(re.compile("^Microsoft incident EX123456"), wait_ms=90_000)
            await partner.shot_card("incident-card", incident)

            # Megan (Fabrikam, in her playground) and a storm of other customers write about it at once.
            await customer.raise_ticket(
                "Can't open my mailbox", "Exchange Online", "Moderate – work is impaired", "No mail."
            )
            await customer.see_card("Ticket T-1001")
            chats = storm_chats(connector, STORM_CUSTOMERS)
            started = time.monotonic()
            ticket = StormTicket("Exchange Online", "Email is down", "Outlook says it cannot reach the server.")
            accepted = await raise_storm(chats, bot.url, connector, STORM_TICKETS, ticket)
            assert accepted == STORM_TICKETS

            # Within a minute of the first storm ticket the channel shows them all on one summary card.
            left_ms = max(1_000, int((60 - (time.monotonic() - started)) * 1000))
            summary = await partner.find_card(
                re.compile(r"Storm mode: \d+ new tickets in this channel"), wait_ms=left_ms
            )
            await expect(summary).to_contain_text("EX123456")
            # The summary is updated in place as cards follow, and says "Storm over" once every card is posted.
            await partner.shot_card(
                "storm-summary", await partner.find_card(re.compile(r"Storm (mode: \d+ new tickets|over)"))
            )

            # Once every card is posted (the playground draws only the posts near the view, and a busy channel moves
            # them under the pointer), the technician acknowledges the incident; the card says who.
            await partner.find_card(re.compile(r"Storm over: all \d+ cards posted"), wait_ms=300_000)
            incident = re.compile("^Microsoft incident EX123456")

            async def acknowledge(card: Locator) -> None:
                await card.get_by_role("button", name="Acknowledge", exact=True).click(timeout=3_000)

            async def acknowledged(card: Locator) -> None:
                await expect(card).to_contain_text("Acknowledged by Alex Wilber", timeout=3_000)

            await partner.on_card(incident, acknowledge)
            await partner.on_card(incident, acknowledged)
            await partner.shot("incident-acknowledged", full_page=False)

            # ... and answers every linked ticket at once (the card's "Reply to all linked tickets" button opens the
            # same form in the incident's thread: tests/bot/test_bulk_reply.py).
            await partner.post_mentioning_bot("bulk reply EX123456")

            async def send_to_all(form: Locator) -> None:
                await form.get_by_placeholder(re.compile("^For example: Microsoft is restoring")).fill(
                    ANSWER, timeout=3_000
                )
                await form.get_by_role("button", name="Send to all", exact=True).click(timeout=3_000)

            await partner.on_card(
                re.compile("^Reply to every ticket linked to Microsoft incident EX123456"), send_to_all
            )
            # The answer comes once every reply is queued: about a hundred tickets, each in its own unit of work,
            # while the storm's cards are still being sent (over a minute on PostgreSQL in CI).
            sent = partner.page.get_by_text(re.compile(r"Sent to \d+ customers on \d+ tickets")).last
            await expect(sent).to_be_visible(timeout=180_000)
            await partner.shot("replied-to-all", full_page=False)

            # Every customer is told in their own chat: Megan in her playground, the storm's customers at the connector.
            await customer.see_card(ANSWER, wait_ms=60_000)
            await customer.shot("customer-told")
            # Every customer's but Tailspin's: its health cannot be read, so its tickets are linked to no incident.
            linked = [chat for chat in chats if chat.sender.tenant_id != demo.TAILSPIN.tenant_id]
            await _every_chat_told(connector, [chat.conversation_id for chat in linked], ANSWER)

            # GDAP, the Message center and the routes, in the team's quiet General channel, on a reloaded page:
            # the triage channel's hundred-odd cards are still being updated as the replies go out, and re-drawing
            # them keeps this page too busy to answer clicks in time (the playground keeps no history on reload).
            await partner.open(f"http://localhost:{playgrounds.partner_port}")
            await partner.go_to_channel("General")
            await partner.post_mentioning_bot("gdap")
            gdap = await partner.see_card(re.compile(r"^GDAP relationships \(\d+\)"), wait_ms=AFTER_STORM_MS)
            await expect(gdap).to_contain_text("Fabrikam")
            await partner.post_mentioning_bot("changes fabrikam")
            await partner.see_card(re.compile("^Message center · Fabrikam, Inc."), wait_ms=AFTER_STORM_MS)
            await partner.shot("gdap-and-changes", full_page=False)
            await partner.post_mentioning_bot("triage here for critical")
            added = partner.page.get_by_text(re.compile("^Tickets for Critical tickets will now be posted in")).last
            await expect(added).to_be_visible(timeout=AFTER_STORM_MS)
            await partner.post_mentioning_bot("routes")
            routes = await partner.see_card(re.compile("^1 triage route"), wait_ms=AFTER_STORM_MS)
            await expect(routes).to_contain_text("Critical tickets")
            await partner.shot("routes", full_page=False)
        except BaseException:
            # What each page showed when a step failed (best effort: a busy page may not draw in time).
            await partner.shot("failed", full_page=False)
            await customer.shot("failed", full_page=False)
            raise
        await browser.close()


async def _every_chat_told(connector: LocalConnector, conversations: list[str], text: str) -> None:
    """Wait (at most 2 minutes: the replies are paced) until each conversation got a message containing `text`."""
    deadline = time.monotonic() + 120
    missing = conversations
    while time.monotonic() < deadline:
        missing = [c for c in conversations if not any(text in str(s.body) for s in connector.posts(c))]
        if not missing:
            return
        await asyncio.sleep(1)
    raise AssertionError(f"{len(missing)} of {len(conversations)} customers never told: {missing[:5]}")
