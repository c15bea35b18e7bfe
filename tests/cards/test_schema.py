"""The validation helper itself: it rejects what the schema rejects, allows `msteams`, reports the leaf error."""

from __future__ import annotations

import re
from typing import Any

import pytest

from cards.render import MAX_CARD_BYTES
from tests.cards.schema import assert_valid_card


def card(body: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A minimal 1.5 card."""
    return {"type": "AdaptiveCard", "version": "1.5", "body": body, **extra}


def test_accepts_a_valid_card() -> None:
    """A plain valid card passes."""
    assert_valid_card(card([{"type": "TextBlock", "text": "Hello", "wrap": True}]))


def test_allows_msteams_wherever_it_appears() -> None:
    """Teams' host-specific `msteams` property is allowed on the card, on elements and on actions."""
    assert_valid_card(
        card(
            [{"type": "TextBlock", "text": "Hi <at>Megan</at>", "msteams": {"entities": []}}],
            msteams={"width": "Full"},
            actions=[{"type": "Action.Submit", "title": "Go", "data": {"verb": "x"}, "msteams": {"feedback": {}}}],
        )
    )


def test_rejects_other_unknown_properties() -> None:
    """The schema stays strict about everything else."""
    with pytest.raises(AssertionError, match=re.escape("$.body[0]: Additional properties are not allowed ('colour'")):
        assert_valid_card(card([{"type": "TextBlock", "text": "Hi", "colour": "attention"}]))


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        ([{"type": "TextBlock", "text": "Hi", "wrap": "yes"}], "$.body[0].wrap", "'yes' is not of type 'boolean'"),
        ([{"type": "FactSet", "facts": [{"title": "A"}]}], "$.body[0].facts[0]", "'value' is a required property"),
        (
            [{"type": "Container", "items": [{"type": "RichTextBlock", "inlines": [{"type": "TextRun"}]}]}],
            "$.body[0].items[0].inlines[0]",
            "'text' is a required property",
        ),
        (
            [{"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": "x", "weight": "heavy"}]}],
            "$.body[0].inlines[0].weight",
            "'heavy' is not one of ['default', 'lighter', 'bolder']",
        ),
        ([{"type": "Bogus"}], "$.body[0]", "is not valid under any of the given schemas"),
    ],
)
def test_reports_the_leaf_error_inside_any_of(body: list[dict[str, Any]], where: str, message: str) -> None:
    """Errors inside `anyOf` alternatives are reported from the alternative meant for the element's type."""
    with pytest.raises(AssertionError) as failure:
        assert_valid_card(card(body))
    assert f"at {where}: " in str(failure.value)
    assert message in str(failure.value)


def test_rejects_a_card_at_the_size_limit() -> None:
    """A card must be below `MAX_CARD_BYTES` (measured in UTF-8 bytes)."""
    text = "я" * (MAX_CARD_BYTES // 2)
    with pytest.raises(AssertionError, match="bytes"):
        assert_valid_card(card([{"type": "TextBlock", "text": text}]))
