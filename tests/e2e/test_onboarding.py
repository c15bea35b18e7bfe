"""Issue 16's "Done when", in a real browser: in the Agents Playground the technician Alex asks `readiness fabrikam`
and sees what is missing (nobody at Fabrikam has the desk), rolls it out to the group "Fabrikam Finance", watches the
progress card complete in place, and Megan Bowen (of that group, the customer playground's user) receives the welcome
card once in her personal chat. Screenshots go to test-output/e2e/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.running import CHROMIUM, CHROMIUM_ARGS, ROOT, Bot, Playgrounds, missing_tools, running

REASON = missing_tools()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(REASON is not None, reason=REASON or "")]
SHOTS = ROOT / "test-output" / "e2e"
WELCOME = "I'm the support desk of Contoso Cloud Services"
# The playground's own "the app was installed" event for a chat it opens (a POST from the page to its server, which
# then sends the bot a conversationUpdate with the bot in membersAdded, as Teams does when a person adds the app).
INSTALL_ROUTE = "**/_debug/conversation/*/installation"
LONG = 120_000  # ms: a roll-out job's rounds and a busy CI machine (2 cores)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[Bot, Playgrounds]]:
    """The bot (local mode: the emulator sends install events, emulator/local.py) and both playgrounds."""
    env = {"PARTNER_NAME": "Contoso Cloud Services", "SUPPORT_HOURS": "24x7"}
    with running(tmp_path, env) as world:
        yield world


async def test_readiness_then_a_group_rollout_welcomes_megan_once(world):
    from playwright.async_api import Route, async_playwright, expect

    from tests.e2e.pages import STEP_TIMEOUT, TeamsPage

    _, playgrounds = world
    SHOTS.mkdir(parents=True, exist_ok=True)
    blocked: list[str] = []

    async def no_playground_install(route: Route) -> None:
        # Opening Megan's chat would make the playground greet her as if she had added the app herself, before any
        # roll-out: the desk would (rightly) welcome her then, and the roll-out's install could not be seen to
        # welcome her "once". Her install here is the roll-out's, which the emulator reports (emulator/local.py).
        blocked.append(route.request.url)
        await route.fulfill(status=200, content_type="application/json", body="{}")

    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = await browser.new_context(viewport={"width": 1400, "height": 1600})
        partner = TeamsPage(await context.new_page(), SHOTS, "onboarding-partner")
        customer = TeamsPage(await context.new_page(), SHOTS, "onboarding-customer")
        await customer.page.route(INSTALL_ROUTE, no_playground_install)
        await partner.open(f"http://localhost:{playgrounds.partner_port}")
        await customer.open(f"http://localhost:{playgrounds.customer_port}")
        await customer.go_to_chat()
        await partner.go_to_chat()

        await partner.say("readiness fabrikam")
        checklist = await partner.see_card("Readiness · Fabrikam, Inc.", LONG)
        await expect(checklist).to_contain_text("0 of the customer's 12 people have the desk installed.")
        await expect(checklist).to_contain_text("0 people have talked to the desk")
        await partner.shot_card("readiness", checklist)
        assert await customer.card(WELCOME).count() == 0, "nobody greeted Megan before the roll-out"

        await partner.say("roll out fabrikam group Fabrikam Finance")
        confirm = await partner.see_card("Roll the desk out to Fabrikam, Inc.?", LONG)
        await expect(confirm).to_contain_text("5 people of Fabrikam")
        await partner.click("Confirm", confirm)
        done = await partner.see_card("Roll-out to Fabrikam, Inc. finished: 5 people", LONG)
        await expect(done).to_contain_text("Installed")
        await partner.shot_card("rollout-finished", done)
        progress = partner.page.locator(".ac-adaptiveCard", has_text="Rolling the desk out to Fabrikam")
        assert await progress.count() == 0, "the progress card was updated in place, not posted again"

        welcome = await customer.see_card(WELCOME, LONG)
        await customer.shot_card("welcome", welcome)
        assert blocked, "the playground's own install event was asked for and held back"
        await expect(customer.page.locator(".ac-adaptiveCard", has_text=WELCOME)).to_have_count(1, timeout=STEP_TIMEOUT)
        await browser.close()
