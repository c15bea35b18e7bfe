"""End to end in a real browser: a customer raises a ticket in the Agents Playground, a technician types
`report month` in the Triage channel and sees the report's charts drawn (the playground renders Teams' chart
elements as SVG), then `report month csv` and downloads the CSV through the link. Screenshots go to
test-output/e2e/."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.running import CHROMIUM, CHROMIUM_ARGS, ROOT, Bot, Playgrounds, missing_tools, running

REASON = missing_tools()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(REASON is not None, reason=REASON or "")]
SHOTS = ROOT / "test-output" / "e2e"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/reports/csv\?[^\s\"<)]+")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[Bot, Playgrounds]]:
    """The bot and both playgrounds, running."""
    env = {"PARTNER_NAME": "Contoso Cloud Services", "SUPPORT_HOURS": "24x7", "HEALTH_POLL_SECONDS": "300"}
    with running(tmp_path, env) as world:
        yield world


async def test_a_technician_sees_the_months_charts_and_downloads_the_csv(world):
    from playwright.async_api import async_playwright, expect

    from tests.e2e.pages import STEP_TIMEOUT, TeamsPage

    _, playgrounds = world
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = await browser.new_context(viewport={"width": 1400, "height": 1600})
        partner = TeamsPage(await context.new_page(), SHOTS, "report-partner")
        customer = TeamsPage(await context.new_page(), SHOTS, "report-customer")
        await partner.open(f"http://localhost:{playgrounds.partner_port}")
        await customer.open(f"http://localhost:{playgrounds.customer_port}")

        await customer.raise_ticket("Outlook keeps crashing", "Exchange Online", "Moderate – work is impaired", "Boom.")
        await customer.see_card("Ticket T-1001")

        await partner.go_to_channel("Triage")
        await partner.post_mentioning_bot("report month")
        card = await partner.see_card("Support report · last 30 days")
        # The playground draws each chart (as Teams does) in a container labelled with the chart's title and kind; a
        # client without charts would show the fallback tables instead, without these labels.
        for label in (
            "Tickets per day, Line chart",
            "Open tickets by age, Vertical bar chart",
            "Top customers, Horizontal bar chart",
        ):
            await expect(card.locator(f"[aria-label^='{label}']")).to_be_visible(timeout=STEP_TIMEOUT)
        await expect(card.locator("[aria-label^='Tickets per day'] svg")).to_be_visible()
        await expect(card).to_contain_text("Fabrikam, Inc.")  # the top-customers bar's label
        await partner.shot_card("report-month-charts", card)

        await partner.post_mentioning_bot("report month csv")
        message = partner.page.get_by_text(re.compile(r"The rows behind the report")).last
        await expect(message).to_be_visible(timeout=STEP_TIMEOUT)
        # The message shows the link shortened (as Teams does); the anchor holds the whole address.
        link = partner.page.locator("a[href*='/reports/csv?']").last
        await expect(link).to_be_visible(timeout=STEP_TIMEOUT)
        href = await link.get_attribute("href")
        assert href and LINK.fullmatch(href), href
        response = await context.request.get(href)
        assert response.status == 200 and response.headers["content-type"].startswith("text/csv")
        body = (await response.body()).decode("utf-8-sig")
        assert body.splitlines()[0].startswith("number,customer,product,service,severity,status")
        assert 'T-1001,"Fabrikam, Inc."' in body
        await partner.shot("report-csv-link")
        await browser.close()
