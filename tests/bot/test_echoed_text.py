"""Text someone typed never comes back as a link or markup: Teams renders a text message's Markdown and auto-links
URLs in it, so a reply quoting `[click](https://evil.example)` would be a link in the bot's own voice. Replies that
need not quote the text do not; the one that must (the text-only ticket confirmation) neutralises it. The sign-in
page shows Entra ID's error code, never the query string's free-text description."""

from __future__ import annotations

import re

import pytest

from cards.echo import echoed
from tests.bot.test_health import said
from tests.support.activities import Chat
from tests.support.harness import Desk

HOSTILE = [
    "[click](https://evil.example)",
    "**bold** and _italic_",
    "https://evil.example/login",
    "<at>x</at>",
    "www.evil.example",
    "mail admin@evil.example",
    "`code` ~~gone~~ # heading",
    "> quoted\n- listed\n1. numbered",
    '<a href="https://evil.example">x</a> &lt;at&gt;',
    "![img](https://evil.example/p.png)",
    "\u202eevil\u202c",
]
# What makes text a link or markup in a Teams text message (Markdown or XML/HTML), or an auto-linked address.
MARKUP = re.compile(r"[\[\]<>*_`~#&\u202a-\u202e\u2066-\u2069]|://|\w\.\w|\n")


def assert_inert(text: str) -> None:
    assert MARKUP.search(text) is None, text
    assert "evil.example" not in text


@pytest.mark.parametrize("typed", HOSTILE)
async def test_an_unknown_command_is_not_echoed(desk: Desk, triage_channel, technician, typed: str) -> None:  # type: ignore[no-untyped-def]
    answer = await said(desk, triage_channel, technician, f"frobnicate {typed}")
    assert answer == 'I didn\'t understand that. Type "help" to see what I can do.'


@pytest.mark.parametrize("typed", HOSTILE)
async def test_a_customer_name_search_is_not_echoed(desk: Desk, triage_channel, technician, typed: str) -> None:  # type: ignore[no-untyped-def]
    answer = await said(desk, triage_channel, technician, f"health {typed}")
    assert typed.split()[0] not in answer
    assert_inert(answer.replace('"customers"', ""))


@pytest.mark.parametrize("typed", HOSTILE)
def test_echoed_text_is_inert_and_still_readable(typed: str) -> None:
    shown = echoed(typed)
    assert_inert(shown)
    letters = re.compile(r"[^A-Za-z]")
    assert letters.sub("", shown) == letters.sub("", typed), "the words stay readable"


async def test_the_text_only_confirmation_quotes_the_title_inertly(desk: Desk, connector, customer_chat: Chat) -> None:  # type: ignore[no-untyped-def]
    def say(text: str) -> dict:  # type: ignore[type-arg]
        return customer_chat.message(text, channelId="sms")

    title = "[click](https://evil.example) **now** <at>x</at>"
    for answer in [f"new ticket {title}", "1", "Universal Print", "2", "The 3rd floor printer is offline.", "megan"]:
        await desk.send(say(answer))
    question = connector.posts(customer_chat.conversation_id)[-1].text
    confirm = question.splitlines()[0]
    assert confirm.startswith("Submit this ticket? ") and confirm.endswith(" (Moderate)")
    assert_inert(confirm.removeprefix("Submit this ticket? ").removesuffix(" (Moderate)"))
    assert "click" in confirm and "now" in confirm


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        (
            {
                "error": "access_denied",
                "error_description": "AADSTS65004: User declined. [click](https://evil.example)",
            },
            "Entra ID answered access_denied (AADSTS65004)",
        ),
        ({"error": "[x](https://evil.example)", "error_description": "https://evil.example/login"}, "Entra ID refused"),
        ({"error": "consent_required", "error_description": "<b>Visit evil.example</b>"}, "consent_required"),
    ],
)
async def test_the_sign_in_page_shows_no_free_text_from_the_query(desk: Desk, query: dict, shown: str) -> None:  # type: ignore[type-arg]
    page = await desk.client.get("/auth/callback", params=query)
    text = await page.text()
    assert page.status == 400
    assert shown in text
    assert "evil" not in text and "declined" not in text and "Visit" not in text


@pytest.mark.parametrize("typed", HOSTILE)
async def test_search_words_are_shown_inertly(desk: Desk, triage_channel, technician, typed: str) -> None:  # type: ignore[no-untyped-def]
    await desk.send(triage_channel.message(technician, f"search {typed}"))
    [card] = desk.connector.posts(triage_channel.channel_id)[-1].cards
    heading = next(node["text"] for node in card["body"] if node.get("type") == "TextBlock")
    assert_inert(heading.replace("(0)", ""))
