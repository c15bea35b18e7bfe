"""The response clock and the per-service guidance blocks: what they say, valid cards, the Azure link opening the
customer's directory in the right cloud's portal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cards.escalation import escalation_form
from cards.guidance import guidance_block
from cards.ms_response import response_clock_block
from cards.triage import triage_card
from desk.clouds import PUBLIC, USGOV
from desk.escalation import Vehicle
from desk.guidance import guidance_for
from desk.i18n import Translator
from desk.ms_response import SrClock
from desk.tickets import Product
from tests.bot.helpers import card_text, nodes
from tests.cards.examples import CREATED, make_ticket
from tests.cards.schema import assert_valid_card

TENANT = "9c4e2b7a-3d1f-4a8e-b6c5-2f0e1d3c4b01"
CLOCK = SrClock(7, "2611240001", "premier", "critical", CREATED)


def on_card(blocks: list[dict]) -> dict:
    card = triage_card(Translator("en"), make_ticket(), CREATED, extra=blocks)
    assert_valid_card(card)
    return card


def links(card: dict) -> list[str]:
    return [node["url"] for node in nodes(card) if node.get("type") == "Action.OpenUrl"]


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_time_left_then_late(locale: str) -> None:
    t = Translator(locale)
    left = card_text(on_card(response_clock_block(t, CLOCK, CREATED + timedelta(minutes=20), {})))
    late = card_text(on_card(response_clock_block(t, CLOCK, CREATED + timedelta(minutes=75), {})))
    if locale == "en":
        assert "1 h 0 min (Premier Support for Partners, Critical)" in left and "40 min left" in left
        assert "late by 15 min" in late
    assert left != late


def test_late_block_stands_out() -> None:
    late = response_clock_block(Translator("en"), CLOCK, CREATED + timedelta(hours=2), {})
    assert late[0]["style"] == "attention"
    assert response_clock_block(Translator("en"), CLOCK, CREATED, {})[0]["style"] == "default"


def test_responded_late_and_in_time() -> None:
    t = Translator("en")
    in_time = SrClock(7, "SR", "premier", "critical", CREATED, responded_at=CREATED + timedelta(minutes=50))
    late = SrClock(7, "SR", "premier", "critical", CREATED, responded_at=CREATED + timedelta(minutes=80))
    assert "after 50 min, within the target" in card_text(on_card(response_clock_block(t, in_time, CREATED, {})))
    assert "after 1 h 20 min, 20 min past the target" in card_text(on_card(response_clock_block(t, late, CREATED, {})))


def test_no_published_target_says_how_to_set_one() -> None:
    clock = SrClock(7, "SR", "advanced", "moderate", CREATED)
    text = card_text(on_card(response_clock_block(Translator("en"), clock, CREATED, {})))
    assert "Microsoft publishes none for Advanced Support for Partners" in text and "MS_RESPONSE_TARGETS" in text
    text = card_text(on_card(response_clock_block(Translator("en"), clock, CREATED, {"moderate": 240})))
    assert "4 h 0 min (Advanced Support for Partners, Moderate; from MS_RESPONSE_TARGETS)" in text


def test_no_clock_no_block() -> None:
    assert response_clock_block(Translator("en"), None, CREATED, {}) == []


def test_guidance_per_product() -> None:
    t = Translator("en")
    m365 = card_text(on_card(guidance_block(t, guidance_for(Product.M365, PUBLIC, TENANT))))
    assert "Partner Center service request. This desk files it" in m365 and "Steps to reproduce" in m365
    azure = on_card(guidance_block(t, guidance_for(Product.AZURE, PUBLIC, TENANT)))
    assert "Support Request Contributor" in card_text(azure) and "Correlation or request ids" in card_text(azure)
    assert links(azure) == [
        f"https://portal.azure.com/#@{TENANT}/blade/Microsoft_Azure_Support/HelpAndSupportBlade/newsupportrequest"
    ]
    dynamics = on_card(guidance_block(t, guidance_for(Product.DYNAMICS, PUBLIC, TENANT)))
    assert "Power Platform admin center" in card_text(dynamics)
    assert links(dynamics) == ["https://admin.powerplatform.microsoft.com/support"]
    assert guidance_for(Product.OTHER, PUBLIC, TENANT) is None
    assert guidance_block(t, None) == []


def test_azure_guidance_in_the_us_government_cloud_opens_its_portal() -> None:
    card = on_card(guidance_block(Translator("ru"), guidance_for(Product.AZURE, USGOV, TENANT)))
    assert links(card) == [
        f"https://portal.azure.us/#@{TENANT}/blade/Microsoft_Azure_Support/HelpAndSupportBlade/newsupportrequest"
    ]
    # No unverified Power Platform host for Government clouds: the checklist without a link.
    assert guidance_for(Product.DYNAMICS, USGOV, TENANT).link is None  # type: ignore[union-attr]


def test_guidance_on_the_escalation_form() -> None:
    t = Translator("en")
    ticket = make_ticket()
    advice = guidance_block(t, guidance_for(Product.AZURE, PUBLIC, TENANT))
    form = escalation_form(t, "draft", ticket, [("1", "Topic")], {}, Vehicle("none", None), None, advice)
    assert_valid_card(form)
    assert "Support Request Contributor" in card_text(form) and len(links(form)) == 1
