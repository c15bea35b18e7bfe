"""Knowledge-base cards for the card tests (schema, size, every locale): offers, answers beside a ticket, `kb`
results with and without a ticket, the publish form (empty, prefilled, refused), the largest of each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cards.kb import BODY_LIMIT, TITLE_LIMIT, Shown, answers_beside_ticket, offer_card, publish_form, results_card
from desk.i18n import Translator
from desk.store.kb import Article

WHEN = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
FILE = Article(
    1,
    "file",
    "Outlook keeps asking for my password",
    "1. Close Outlook.\n2. **Credential Manager**.",
    "en",
    WHEN,
    path="outlook.md",
)
PUBLISHED = Article(
    2, "ticket", "Сброс пароля", "Откройте aka.ms/sspr.", "ru", WHEN, ticket_id=7, published_by_name="Alex Wilber"
)
HUGE = Article(3, "ticket", "Ж" * TITLE_LIMIT, "Ж" * BODY_LIMIT, "ru", WHEN, ticket_id=8, published_by_name="Ж" * 200)
Build = Callable[[Translator], dict[str, Any]]


def examples() -> list[tuple[str, Build]]:
    """(name, builder) pairs."""
    shown = [Shown("o1", FILE.title, FILE.body), Shown("o2", "Microsoft is working on EX123", "Known problem.")]
    largest = [Shown(f"o{i}", HUGE.title, HUGE.body) for i in range(5)]
    values = {"kb_title": FILE.title, "kb_body": FILE.body, "kb_language": "en"}
    return [
        ("kb-offer", lambda t: offer_card(t, shown)),
        ("kb-offer-largest", lambda t: offer_card(t, largest)),
        ("kb-beside-ticket", lambda t: answers_beside_ticket(t, "T-1001", [FILE, PUBLISHED])),
        ("kb-results-ticket", lambda t: results_card(t, "Knowledge base", [FILE, PUBLISHED, HUGE] * 2, "T-1001")),
        ("kb-results-none", lambda t: results_card(t, "Knowledge base", [], None)),
        ("kb-publish-empty", lambda t: publish_form(t, "T-1001", {})),
        ("kb-publish-prefilled", lambda t: publish_form(t, "T-1001", values)),
        (
            "kb-publish-refused",
            lambda t: publish_form(t, "T-1001", {"kb_body": "Ж" * BODY_LIMIT}, t("kb.fix_problems", limit=BODY_LIMIT)),
        ),
    ]
