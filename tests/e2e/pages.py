"""Driving a playground page like a person: channels, @mentions, chat messages, card buttons, screenshots."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import ElementHandle, Locator, Page, expect
from playwright.async_api import TimeoutError as PlaywrightTimeout

STEP_TIMEOUT = 20_000  # ms


class TeamsPage:
    """One playground page (one signed-in user)."""

    def __init__(self, page: Page, shots: Path, who: str) -> None:
        self.page = page
        self.shots = shots
        self.who = who
        self._count = 0
        self._channel: str | None = None  # the channel open, if one is

    async def open(self, url: str) -> None:
        """Load the playground and wait for its chat list."""
        await self.page.goto(url)
        await expect(self.page.get_by_text("Teams Channel")).to_be_visible(timeout=STEP_TIMEOUT)

    async def shot(self, step: str, full_page: bool = True) -> Path:
        """Save a screenshot named after the step (of the window only when `full_page` is False: a channel with
        hundreds of cards is too tall to capture in time)."""
        self._count += 1
        path = self.shots / f"{self.who}-{self._count:02d}-{step}.png"
        if full_page:
            await self.page.screenshot(path=str(path), full_page=True)
        else:  # a busy channel re-draws all the time: its screenshot is a record, not a check
            with contextlib.suppress(PlaywrightTimeout):
                await self.page.screenshot(path=str(path), timeout=10_000)
        return path

    async def find_card(self, containing: str | re.Pattern[str], wait_ms: int = STEP_TIMEOUT) -> Locator:
        """The newest card containing the text, once it is on the page. The playground draws only the messages near the
        view, so in a busy channel an older card exists on the page only once the list is scrolled to it: from the
        oldest posts (the bottom: the cards looked for here are older than the storm's) up a screen at a time, again
        from the bottom at the top, until it shows or `wait_ms` pass."""
        card = self.card(containing)
        deadline = asyncio.get_running_loop().time() + wait_ms / 1000
        await self.page.mouse.move(640, 600)  # over the message list: the wheel scrolls it
        at_bottom = False
        while True:
            if await card.count():
                return card
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no card containing {containing!r}")
            before = await self._list_position()
            await self.page.mouse.wheel(0, -800 if at_bottom else 10**6)
            await self.page.wait_for_timeout(150)
            at_bottom = not at_bottom or await self._list_position() != before  # at the top: to the bottom again

    async def on_card(
        self, containing: str | re.Pattern[str], act: Callable[[Locator], Awaitable[None]], wait_ms: int = 60_000
    ) -> None:
        """Do `act` on the newest card containing the text (found as find_card finds it), again until it succeeds
        or `wait_ms` pass: while a storm's cards arrive the list moves under the pointer and the card can leave
        the page between finding and clicking it."""
        deadline = asyncio.get_running_loop().time() + wait_ms / 1000
        while True:
            card = await self.find_card(containing, wait_ms)
            try:
                await act(card)
                return
            except PlaywrightTimeout as error:
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"could not act on the card {containing!r}") from error

    async def _list_position(self) -> int:
        """How far the scrolled message list is scrolled (the largest scrollTop on the page)."""
        script = "Math.max(0, ...[...document.querySelectorAll('*')].map(e => e.scrollTop))"
        return int(await self.page.evaluate(script))

    async def shot_card(self, step: str, card: Locator) -> Path:
        """Save a screenshot of one card, scrolled into view (a storm's channel is too tall to capture whole)."""
        self._count += 1
        path = self.shots / f"{self.who}-{self._count:02d}-{step}.png"
        with contextlib.suppress(PlaywrightTimeout):  # new posts keep re-drawing the list: a record, not a check
            await card.screenshot(path=str(path), timeout=10_000)
        return path

    async def go_to_channel(self, name: str) -> None:
        """Open a channel of the team."""
        await self.page.get_by_text(name, exact=True).click()
        await expect(self.page.get_by_text("Start a new post")).to_be_visible(timeout=STEP_TIMEOUT)
        self._channel = name

    async def go_to_chat(self) -> None:
        """Open the personal chat with the bot."""
        await self.page.get_by_text("Personal Chat", exact=True).click()
        self._channel = None

    async def post_mentioning_bot(self, text: str, bot: str = "Partner Desk") -> None:
        """A new channel post that @mentions the bot (the only posts a bot receives in a channel)."""
        box = await self._composer()
        await box.click()
        await box.type(f"@{bot.split()[0]}")
        await self.page.get_by_role("menuitem", name=bot).click()
        await box.type(f" {text}")
        await self.page.get_by_role("button", name="Post").click()

    async def _composer(self) -> ElementHandle:
        """The channel's "Start a new post" box: the text box beside that placeholder text (every post below has a
        reply box of its own, which a plain first text box can be once the list has scrolled). It sits above the
        newest post, and the playground draws only what is near the view: after find_card has scrolled a busy channel
        to older cards the box is not on the page. So scroll every scrolled element back to its top, and failing that
        open the channel again. A handle, not a locator: the placeholder text goes once something is typed."""
        box = self.page.locator("xpath=//*[normalize-space()='Start a new post']/preceding-sibling::*[@role='textbox']")
        for attempt in range(6):
            if await box.count():
                with contextlib.suppress(PlaywrightTimeout):  # re-drawn meanwhile: look again
                    return await box.first.element_handle(timeout=3_000)
            await self.page.evaluate(
                "document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; })"
            )
            await self.page.wait_for_timeout(300)
            if attempt == 3 and self._channel:  # the list draws from its newest post when the channel opens
                here = self._channel
                await self.go_to_channel("General" if here != "General" else "Triage")
                await self.go_to_channel(here)
        raise AssertionError("the channel's 'Start a new post' box is not on the page")

    async def say(self, text: str) -> None:
        """A message in the personal chat."""
        box = self.page.get_by_role("textbox").last
        await box.click()
        await box.type(text)
        await box.press("Enter")

    def card(self, containing: str | re.Pattern[str]) -> Locator:
        """The newest Adaptive Card that contains `containing` (a pattern with ^ matches the card's start)."""
        return self.page.locator(".ac-adaptiveCard", has_text=containing).first

    async def see_card(self, containing: str | re.Pattern[str], wait_ms: int = STEP_TIMEOUT) -> Locator:
        """Wait for a card containing the text; returns it."""
        card = self.card(containing)
        await expect(card).to_be_visible(timeout=wait_ms)
        return card

    async def see_text(self, text: str, wait_ms: int = STEP_TIMEOUT) -> None:
        """Wait for a message whose whole text is `text` (the log panel's lines never match exactly)."""
        await expect(self.page.get_by_text(text, exact=True).last).to_be_visible(timeout=wait_ms)

    async def click(self, button: str, within: Locator | None = None) -> None:
        """Press a card button."""
        scope = within or self.page
        await scope.get_by_role("button", name=re.compile(f"^{re.escape(button)}$")).first.click()

    async def technician_view(self, number: str, showing: str | None = None, hiding: str | None = None) -> Locator:
        """Make sure the triage card of `number` shows a technician's buttons (the playground does not refresh
        cards by itself, so ask for the view with the card's button when needed); returns the card.

        `showing`/`hiding`: text the card must (not) contain first, so that the bot's in-place update of the
        previous step has landed; otherwise that update can re-render the card under the next click."""
        card = self.card(f"{number} ·")
        for _ in range(40):
            text = await card.inner_text() if await card.count() else ""
            settled = (showing is None or showing in text) and (hiding is None or hiding not in text)
            if settled and await card.get_by_role("button", name="Reply to customer…").count():
                return card
            ask = card.get_by_role("button", name="Technician actions")
            if settled and await ask.count():
                # One request at a time: a second click's late answer would re-render the card under the
                # next step (an open "Reply…" form collapses and its button detaches).
                await ask.first.click()
                with contextlib.suppress(AssertionError):  # not yet: look again
                    await expect(card.get_by_role("button", name="Reply to customer…")).to_be_visible(timeout=15_000)
                continue
            await self.page.wait_for_timeout(500)
            card = self.card(f"{number} ·")
        raise AssertionError(f"no technician view of {number} (showing={showing!r}, hiding={hiding!r})")

    async def card_form(
        self, number: str, form: str, fields: dict[str, str], button: str, done: str | re.Pattern[str], **view: str
    ) -> None:
        """On the triage card of `number` (technician view, `view` as for technician_view): open the small form
        `form`, fill `fields` (placeholder -> text), press `button`, and wait for a card containing `done`.

        If the card is re-rendered under the click (a late update collapses the open form), the whole step is done
        again, unless its result already shows."""
        for _ in range(4):
            card = await self.technician_view(number, **view)
            await self.click(form, card)
            for placeholder, text in fields.items():
                await card.get_by_placeholder(placeholder).fill(text)
            try:
                await card.get_by_role("button", name=re.compile(f"^{re.escape(button)}$")).first.click(timeout=8_000)
            except PlaywrightTimeout:
                if await self.card(done).count():
                    return
                continue
            await self.see_card(done)
            return
        raise AssertionError(f"could not use {form!r} on {number}")

    async def raise_ticket(self, title: str, service: str, severity: str, description: str) -> None:
        """`new ticket <title>`, then fill in and submit the form (product Microsoft 365)."""
        await self.say(f"new ticket {title}")
        form = await self.see_card("New support ticket")
        await form.get_by_role("combobox", name="Product").click()
        await self.page.get_by_role("option", name="Microsoft 365").click()
        await form.get_by_placeholder("e.g. Exchange Online").fill(service)
        await form.get_by_role("combobox", name="Severity").click()
        await self.page.get_by_role("option", name=severity).click()
        await form.get_by_placeholder("What happened").fill(description)
        await self.shot("form-filled")
        await self.click("Submit ticket", form)
