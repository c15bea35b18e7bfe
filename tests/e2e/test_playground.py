"""End to end in a real browser: the bot in local mode, the Agents Playground for the customer's tenant and the
partner's, driven with Playwright in headless Chromium. Screenshots of every step go to test-output/e2e/."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.running import CHROMIUM, CHROMIUM_ARGS, ROOT, Bot, Playgrounds, missing_tools, running

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
    with running(tmp_path, env) as world:
        yield world


async def test_ticket_from_customer_to_triage_channel_and_back(world):
    from playwright.async_api import async_playwright, expect

    from tests.e2e.pages import TeamsPage

    bot, playgrounds = world
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        # The emulated Entra ID sign-in page is served with the emulator's own throw-away CA.
        context = await browser.new_context(viewport={"width": 1400, "height": 1000}, ignore_https_errors=True)
        partner = TeamsPage(await context.new_page(), SHOTS, "partner")
        customer = TeamsPage(await context.new_page(), SHOTS, "customer")
        await partner.open(f"http://localhost:{playgrounds.partner_port}")
        await customer.open(f"http://localhost:{playgrounds.customer_port}")

        # The technician makes the Triage channel the triage channel.
        await partner.go_to_channel("Triage")
        await partner.post_mentioning_bot("triage here")
        await partner.see_text("This channel is now the triage channel. New tickets will be posted here.")
        await partner.shot("triage-channel-set")

        # The customer raises a ticket through the card form.
        await customer.raise_ticket(
            "Outlook keeps crashing",
            "Exchange Online",
            "Moderate – work is impaired",
            "Since this morning Outlook crashes when I open it.",
        )
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
        reply = {"Your message to the customer": "Hi Megan, please start Outlook in safe mode."}
        replied = "Alex Wilber replied to the customer:"
        await partner.card_form(
            "T-1001", "Reply to customer…", reply, "Send to customer", replied, showing="Last change: Alex Wilber"
        )
        note = {"Only technicians see this note": "Internal: add-in suspected."}
        await partner.card_form(
            "T-1001", "Private note…", note, "Add note", "Internal: add-in suspected.", hiding="First response due"
        )
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
        fix = {"What fixed it": "Disabled the faulty add-in."}
        resolved = "Alex Wilber resolved the ticket:"
        await partner.card_form(
            "T-1001", "Resolve…", fix, "Resolve ticket", resolved, showing="Last change: Megan Bowen"
        )
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

        # Escalation: a new ticket; the technician signs in (emulated Entra ID) and files a service request.
        await customer.raise_ticket(
            "Teams calls drop after a few minutes",
            "Microsoft Teams",
            "Critical – work has stopped",
            "Every call drops after about five minutes.",
        )
        await customer.see_card("Ticket T-1002")
        card = await partner.technician_view("T-1002")
        await partner.click("Escalate to Microsoft", card)
        escalation = await partner.see_card(re.compile("^Escalate T-1002 to Microsoft"))
        await partner.click("File service request", escalation)
        sign_in = await partner.see_card(re.compile("^Sign in to Partner Center"))
        await partner.shot("sign-in-asked")
        async with context.expect_page() as opened:
            await sign_in.get_by_text("Sign in to Partner Center", exact=True).last.click()  # the heading says it too
        browser_tab = await opened.value
        await browser_tab.get_by_role("button", name=re.compile("^Alex Wilber")).click()
        await expect(browser_tab.get_by_text("You're signed in.", exact=False)).to_be_visible(timeout=20_000)
        await browser_tab.screenshot(path=str(SHOTS / "partner-signed-in-page.png"))
        await browser_tab.close()
        resume = await partner.see_card(re.compile("^You're signed in to Partner Center"))
        await partner.click("Continue the escalation", resume)
        escalation = await partner.see_card(re.compile("^Escalate T-1002 to Microsoft"))
        await partner.click("File service request", escalation)
        done = await partner.see_card(re.compile("^T-1002 is escalated to Microsoft: service request"))
        sr_id = re.search(r"service request (\d+)", await done.inner_text()).group(1)
        card = partner.card("T-1002 · Critical · Escalated to Microsoft")
        await expect(card).to_contain_text(sr_id, timeout=20_000)
        await partner.shot("escalated-sr-on-card")
        told = f"We've escalated your ticket T-1002 to Microsoft (Microsoft reference {sr_id})."
        await customer.see_text(f"{told} We'll keep you posted here.")

        # Later, Microsoft adds a note; it arrives in the ticket's thread.
        bot.advance_service_request(sr_id, "Please collect a network trace during a call.", "attention_needed")
        await partner.see_card("Microsoft Support: Please collect a network trace during a call.", wait_ms=90_000)
        await partner.shot("microsoft-note-in-thread")

        # The customer's admin portals.
        await partner.post_mentioning_bot("admin fabrikam")
        admin = await partner.see_card(re.compile("^Service management · Fabrikam, Inc."))
        await expect(admin.get_by_text("Microsoft 365 admin center", exact=True)).to_be_visible()
        await partner.shot("admin-portal-links")

        await browser.close()
