"""Knowledge-base cards: the answers offered to a customer before a ticket, a technician's `kb` results, the
"Publish as answer" form. Article text is shown literally (a TextRun renders no Markdown); buttons carry a verb
and an id only (an offer's id; an article's and a ticket's, "12:T-1001")."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cards.actions import execute
from cards.format import Translate, clip
from cards.inputs import choice_input, text_input
from cards.render import render
from desk.store.kb import Article

TEXT_LIMIT = 1_200  # characters of an article shown on a card (the whole answer goes in a reply)
TITLE_LIMIT = 200
BODY_LIMIT = 4_000
_MARKUP = re.compile(r"\*\*|__|`")


@dataclass(frozen=True)
class Shown:
    """One answer on an offer card: its offer id, and what it says."""

    offer_id: str
    title: str
    text: str
    subtitle: str = ""


def plain(text: str, limit: int = TEXT_LIMIT) -> str:
    """An article's text as a card shows it: Markdown's emphasis marks dropped, shortened."""
    return clip(_MARKUP.sub("", text).strip(), limit)


def offer_card(t: Translate, shown: Sequence[Shown]) -> dict[str, Any]:
    """Answers that may solve the customer's problem, each with "This solved it" and "I still need help"."""
    items = [
        {
            "title": item.title,
            "subtitle": item.subtitle,
            "text": plain(item.text),
            "actions": [
                execute(t("answers.solved"), "answer.solved", item.offer_id, style="positive", with_inputs=False),
                execute(t("answers.need_help"), "answer.need_help", item.offer_id, with_inputs=False),
            ],
        }
        for item in shown
    ]
    return render(
        "kb_answers",
        heading=t("answers.heading"),
        intro=t("answers.intro"),
        items=items,
        footer=t("answers.footer"),
        actions=[],
    )


def answers_beside_ticket(t: Translate, number: str, articles: Sequence[Article]) -> dict[str, Any]:
    """Answers shown beside a critical ticket, which was opened at once: no buttons, the ticket is open."""
    items = [{"title": a.title, "subtitle": "", "text": plain(a.body), "actions": []} for a in articles]
    return render(
        "kb_answers",
        heading=t("answers.beside_heading", number=number),
        intro="",
        items=items,
        footer=t("answers.beside_footer"),
        actions=[],
    )


def results_card(t: Translate, heading: str, articles: Sequence[Article], ticket: str | None) -> dict[str, Any]:
    """A technician's `kb` results; with a ticket, each can be sent to its customer or noted in its thread."""
    items = []
    for article in articles:
        actions = []
        if ticket is not None:
            target = f"{article.id}:{ticket}"
            actions = [
                execute(t("kb.send_customer", number=ticket), "kb.send_customer", target, style="positive"),
                execute(t("kb.send_thread"), "kb.send_thread", target),
            ]
        items.append(
            {
                "title": article.title,
                "subtitle": source_line(t, article),
                "text": plain(article.body, 600),
                "actions": actions,
            }
        )
    footer = t("kb.footer_ticket", number=ticket) if ticket else t("kb.footer_no_ticket")
    return render("kb_answers", heading=heading, intro="", items=items, footer=footer, actions=[])


def source_line(t: Translate, article: Article) -> str:
    """Where an article comes from."""
    if article.source == "ticket":
        return t("kb.from_ticket", name=article.published_by_name or "-", when=article.updated_at.strftime("%Y-%m-%d"))
    return t("kb.from_file", path=article.path or "-")


def publish_form(t: Translate, number: str, values: Mapping[str, str], problem: str = "") -> dict[str, Any]:
    """The "Publish as answer" form of a resolved ticket: title and text to review (prefilled with the ticket's
    title and resolution summary only), and the language."""
    required = t("form.error.required")
    languages = [("en", t("kb.language.en")), ("ru", t("kb.language.ru"))]
    inputs = [
        text_input("kb_title", t("kb.title_label"), values, TITLE_LIMIT, t("kb.title_hint"), required),
        text_input("kb_body", t("kb.body_label"), values, BODY_LIMIT, t("kb.body_hint"), required, multiline=True),
        choice_input("kb_language", t("kb.language_label"), languages, values, required),
    ]
    return render(
        "kb_publish",
        heading=t("kb.publish_heading", number=number),
        intro=t("kb.publish_intro"),
        problem=problem,
        inputs=inputs,
        actions=[execute(t("kb.publish_confirm"), "kb.publish_submit", number, style="positive")],
    )
