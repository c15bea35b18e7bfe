"""The storm summary card (cards/storm.py) is a valid Adaptive Card 1.5 within Teams' size limit in every locale,
however many tickets the storm has and however long their names; waiting critical tickets come first, each with an
Open button whose data is a verb and an id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cards.render import MAX_CARD_BYTES, card_size
from cards.storm import LISTED, OPEN_VERB, storm_summary_card
from desk.i18n import Translator
from desk.store.storm import StormTicket
from desk.storm import StormView
from tests.bot.helpers import card_text, nodes
from tests.cards.examples import LOCALES
from tests.cards.schema import assert_valid_card

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture(params=LOCALES)
def t(request: pytest.FixtureRequest) -> Translator:
    return Translator(request.param)


def storm_of(count: int, long: bool = False, posted: int = 0) -> list[StormTicket]:
    name = "Фабрикам Север — 北风贸易有限公司 " * 4 if long else "Fabrikam, Inc."
    return [
        StormTicket(
            ticket_id=n,
            number=f"T-{1000 + n}",
            customer=f"{name} {n % 40}",
            severity="critical" if n % 10 == 7 else "moderate",
            title=("Почта не уходит 📧 " * 10 if long else f"Mail is down ({n})"),
            posted=n < posted,
            released=n < posted + 5,
            incidents=(f"EX{n % 30:06d}", "MO123456") if long else (("EX123",) if n % 3 == 0 else ()),
        )
        for n in range(count)
    ]


@pytest.mark.parametrize(("count", "long"), [(3, False), (1000, False), (5000, True)])
def test_the_summary_is_valid_and_fits(t: Translator, count: int, long: bool) -> None:
    card = storm_summary_card(t, StormView(1, START, storm_of(count, long), over=False))
    assert_valid_card(card)
    assert card_size(card) < MAX_CARD_BYTES


def test_waiting_critical_tickets_are_listed_first_with_an_open_button() -> None:
    t = Translator("en-US")
    card = storm_summary_card(t, StormView(1, START, storm_of(200, posted=20), over=False))
    opens = [node for node in nodes(card) if node.get("type") == "Action.Execute" and node["verb"] == OPEN_VERB]
    assert len(opens) == LISTED
    listed = [action["data"]["id"] for action in opens]
    critical = [f"T-{1000 + n}" for n in range(20, 200) if n % 10 == 7]
    assert listed == critical[:LISTED], "waiting critical tickets first, oldest first"
    assert all(set(action["data"]) == {"verb", "id"} for action in opens)
    text = card_text(card)
    assert "Storm mode: 200 new tickets" in text and "20 cards posted, 180 waiting" in text
    assert "T-1199" in text, "every waiting ticket is named"
    assert "T-1019" not in text.split("Also waiting:")[-1], "a posted ticket is not among the waiting"


def test_a_thousand_waiting_tickets_are_all_named() -> None:
    text = card_text(storm_summary_card(Translator("en-US"), StormView(1, START, storm_of(1000), over=False)))
    assert all(f"T-{1000 + n}" in text for n in range(1000))
    assert "And " not in text


def test_the_last_summary_says_the_storm_is_over(t: Translator) -> None:
    card = storm_summary_card(t, StormView(1, START, storm_of(12, posted=12), over=True))
    assert_valid_card(card)
    assert not [node for node in nodes(card) if node.get("type") == "Action.Execute"]
    if t.language == "en":
        assert "Storm over: all 12 cards posted" in card_text(card)
