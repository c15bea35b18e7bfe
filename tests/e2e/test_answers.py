"""Answers before tickets, end to end in a real browser (the bot in local mode, both Agents Playgrounds, headless
Chromium): a technician resolves a ticket and publishes its fix as an answer; the next customer who describes the
same problem is offered it, says "I still need help", and the ticket opens and reaches the triage channel.
Screenshots go to test-output/e2e/."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.running import CHROMIUM, CHROMIUM_ARGS, ROOT, Bot, Playgrounds, missing_tools, running

REASON = missing_tools()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(REASON is not None, reason=REASON or "")]
SHOTS = ROOT / "test-output" / "e2e"
FIX = "Removed the MicrosoftOffice entries in Credential Manager and signed in again."


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[Bot, Playgrounds]]:
    """The bot (no KB_DIR: the only answer is the one published here) and both playgrounds, running."""
    env = {"PARTNER_NAME": "Contoso Cloud Services", "SUPPORT_HOURS": "24x7", "SUPPORT_EMAIL": "help@contoso.example"}
    with running(tmp_path, env) as world:
        yield world


async def test_a_published_answer_is_offered_and_the_customer_can_still_open_a_ticket(world):
    from playwright.async_api import async_playwright, expect

    from tests.e2e.pages import TeamsPage

    _, playgrounds = world
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = await browser.new_context(viewport={"width": 1400, "height": 1000}, ignore_https_errors=True)
        partner = TeamsPage(await context.new_page(), SHOTS, "answers-partner")
        customer = TeamsPage(await context.new_page(), SHOTS, "answers-customer")
        await partner.open(f"http://localhost:{playgrounds.partner_port}")
        await customer.open(f"http://localhost:{playgrounds.customer_port}")
        await partner.go_to_channel("Triage")
        await partner.post_mentioning_bot("triage here")
        await partner.see_text("This channel is now the triage channel. New tickets will be posted here.")

        # A first customer problem, resolved; the technician publishes the fix as an answer.
        await customer.raise_ticket(
            "Outlook keeps asking for my password",
            "Exchange Online",
            "Moderate – work is impaired",
            "Every few minutes Outlook asks for my password again.",
        )
        await customer.see_card("Ticket T-1001")
        fix = {"What fixed it": FIX}
        await partner.card_form("T-1001", "Resolve…", fix, "Resolve ticket", "Alex Wilber resolved the ticket:")
        await publish_button(partner, "T-1001")
        form = await partner.see_card(re.compile("^Publish the fix of T-1001"))
        await expect(form.get_by_label("Answer")).to_have_value(FIX)
        await partner.shot("publish-form")
        await partner.click("Publish", form)
        await partner.see_card(re.compile("^Published as an answer"))

        # The next time the problem is described, the answer comes first; "I still need help" opens the ticket.
        await customer.raise_ticket(
            "Outlook asks for my password again",
            "Exchange Online",
            "Moderate – work is impaired",
            "Outlook keeps asking for the password since this morning.",
        )
        offer = await customer.see_card(re.compile("^These answers may solve it"))
        await expect(offer).to_contain_text(FIX)
        await customer.shot("answer-offered")
        await customer.click("I still need help", offer)
        await customer.see_card("Ticket T-1002")
        await customer.shot("ticket-opened-anyway")
        await partner.see_card("T-1002 · Moderate · New", wait_ms=30_000)
        await partner.shot("ticket-in-triage")
        await browser.close()


async def publish_button(partner, number: str) -> None:
    """Press "Publish as answer" on the resolved ticket's card, asking for the technician view when the card shows
    the view everyone gets (the playground does not refresh cards per user by itself)."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    for _ in range(40):
        card = partner.card(f"{number} ·")
        publish = card.get_by_role("button", name="Publish as answer")
        if await publish.count():
            try:
                await publish.first.click(timeout=5_000)
                return
            except PlaywrightTimeout:  # re-drawn under the click: look again
                continue
        ask = card.get_by_role("button", name="Technician actions")
        if await ask.count():
            await ask.first.click()
        await partner.page.wait_for_timeout(750)
    raise AssertionError(f"no Publish as answer on {number}")
