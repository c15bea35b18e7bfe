"""End to end in a real browser: the bot in local mode, the Agents Playground for the customer's tenant and the
partner's, driven with Playwright in headless Chromium. Screenshots of every step go to test-output/e2e/."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.running import CHROMIUM, CHROMIUM_ARGS, ROOT, Bot, Playgrounds, missing_tools

REASON = missing_tools()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(REASON is not None, reason=REASON or "")]
SHOTS = ROOT / "test-output" / "e2e"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[Bot, Playgrounds]]:
    """The bot and both playgrounds, running."""
    env = {
        "PARTNER_NAME": "Contoso Cloud Services",
        "SUPPORT_HOURS": "24x7",
        "SUPPORT_EMAIL": "support@contosocloud.example",
        "SUPPORT_PRICING": "Included in your CSP agreement.",
        "HEALTH_POLL_SECONDS": "30",
        "SR_SYNC_SECONDS": "30",
    }
    bot = Bot(tmp_path / "data", env)
    bot.data.mkdir()
    bot.start()
    playgrounds = Playgrounds(tmp_path / "playground", bot.url)
    try:
        playgrounds.start()
        yield bot, playgrounds
    finally:
        playgrounds.stop()
        bot.stop()


async def test_ticket_from_customer_to_triage_channel_and_back(world):
    from playwright.async_api import async_playwright, expect

    from tests.e2e.pages import TeamsPage

    bot, playgrounds = world
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        viewport = {"width": 1400, "height": 1000}
        partner = TeamsPage(await browser.new_page(viewport=viewport), SHOTS, "partner")
        customer = TeamsPage(await browser.new_page(viewport=viewport), SHOTS, "customer")
        await partner.open(f"http://localhost:{playgrounds.partner_port}")
        await customer.open(f"http://localhost:{playgrounds.customer_port}")

        # The technician makes the Triage channel the triage channel.
        await partner.go_to_channel("Triage")
        await partner.post_mentioning_bot("triage here")
        await partner.see_text("This channel is now the triage channel. New tickets will be posted here.")
        await partner.shot("triage-channel-set")

        # The customer raises a ticket through the card form.
        await customer.say("new ticket Outlook keeps crashing")
        form = await customer.see_card("New support ticket")
        await form.get_by_role("combobox", name="Product").click()
        await customer.page.get_by_role("option", name="Microsoft 365").click()
        await form.get_by_placeholder("e.g. Exchange Online").fill("Exchange Online")
        await form.get_by_role("combobox", name="Severity").click()
        await customer.page.get_by_role("option", name="Moderate – work is impaired").click()
        await form.get_by_placeholder("What happened").fill("Since this morning Outlook crashes when I open it.")
        await customer.shot("form-filled")
        await customer.click("Submit ticket", form)
        await customer.see_card("Ticket T-1001")
        await expect(customer.page.get_by_text(re.compile(r"^Good to know about T-1001")).last).to_be_visible(
            timeout=20_000
        )
        await customer.shot("ticket-raised-and-incident-notice")

        # The triage card appears in the channel; the technician assigns, replies and notes.
        triage = await partner.see_card("T-1001 · Moderate · New")
        await expect(triage).to_contain_text("Fabrikam, Inc.")
        await partner.shot("triage-card")
        card = await partner.technician_view("T-1001")
        await partner.click("Assign to me", card)
        await partner.see_card("Alex Wilber took the ticket.")
        card = await partner.technician_view("T-1001")
        await partner.click("Reply to customer…", card)
        await card.get_by_placeholder("Your message to the customer").fill(
            "Hi Megan, please start Outlook in safe mode."
        )
        await partner.click("Send to customer", card)
        await partner.see_card("Alex Wilber replied to the customer:")
        card = await partner.technician_view("T-1001")
        await partner.click("Private note…", card)
        await card.get_by_placeholder("Only technicians see this note").fill("Internal: add-in suspected.")
        await partner.click("Add note", card)
        await partner.see_card("Internal: add-in suspected.")
        await partner.shot("assigned-replied-noted")

        # The customer sees the reply, never the note.
        await customer.see_card("Hi Megan, please start Outlook in safe mode.")
        await customer.see_text("Alex Wilber is now handling your ticket T-1001.")
        assert await customer.page.get_by_text("Internal: add-in suspected.").count() == 0
        await customer.shot("customer-sees-reply")

        # The bot restarts mid-way; nothing is missing afterwards.
        bot.stop()
        bot.start()
        await customer.say("Safe mode works, thank you.")
        await customer.see_text('Added to your ticket T-1001. To raise a different issue, type "new ticket".')
        await partner.see_card("Safe mode works, thank you.")
        await partner.shot("after-restart-customer-message-in-thread")

        # The technician resolves; the customer confirms.
        card = await partner.technician_view("T-1001")
        await partner.click("Resolve…", card)
        await card.get_by_placeholder("What fixed it").fill("Disabled the faulty add-in.")
        await partner.click("Resolve ticket", card)
        resolution = await customer.see_card(re.compile("^Ticket T-1001 is resolved"))
        await expect(resolution).to_contain_text("Disabled the faulty add-in.")
        await customer.click("Yes, it's fixed", resolution)
        await customer.see_card("T-1001 is now closed")
        await customer.shot("resolved-and-confirmed")
        assert await customer.page.get_by_text("Internal: add-in suspected.").count() == 0

        # Service health: the sweep, one customer's incidents, and the monitor's incident card (posted once).
        await partner.post_mentioning_bot("health all")
        sweep = await partner.see_card(re.compile("^Service health across all customers"), wait_ms=30_000)
        await expect(sweep).to_contain_text("EX987654")
        await partner.post_mentioning_bot("incidents fabrikam")
        await partner.see_card(re.compile("^Incidents and advisories · Fabrikam, Inc."))
        await partner.shot("health-all-and-incidents")
        incident = partner.page.locator(".ac-adaptiveCard", has_text=re.compile(r"^Microsoft incident EX987654"))
        await expect(incident.first).to_be_visible(timeout=60_000)
        await partner.page.wait_for_timeout(35_000)  # another monitor round: still one card
        assert await incident.count() == 1
        await partner.shot("monitor-incident-card")

        await browser.close()
