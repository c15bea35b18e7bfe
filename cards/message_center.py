"""Message center cards: one customer's posts for technicians (`changes <customer>`), the weekly digest of what needs
action across customers, and a customer's own upcoming changes in plain words. Microsoft's text goes into TextRuns
(no Markdown); every list is capped so the card stays under Teams' size limit, saying how many more there are."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from cards.actions import open_url
from cards.format import Translate, clip, fact
from cards.messages import message_card
from cards.render import CardTooLarge
from desk.message_center import TenantChanges, needs_action, ordered, post_url

CHANGES_SHOWN = 15  # posts on a technician's card
DIGEST_POSTS_PER_CUSTOMER = 5
DIGEST_CUSTOMERS_SHOWN = 20
CUSTOMER_SHOWN = 8
TITLE_LIMIT = 160


def card_date(moment: datetime) -> str:
    """A date that Teams renders in the reader's locale."""
    return f"{{{{DATE({moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}, SHORT)}}}}"


def fitted(build: Callable[[int], dict[str, Any]], most: int) -> dict[str, Any]:
    """`build(n)` with the largest n (halving from `most`) whose card fits Teams' size limit."""
    shown = most
    while True:
        try:
            return build(shown)
        except CardTooLarge:
            if shown == 0:
                raise
            shown //= 2


def post_blocks(t: Translate, post: Any, admin_center: str) -> list[dict[str, Any]]:
    """One post for technicians: id, major-change mark, title; services, action date, last change; a link."""
    marks = [post.id, t("changes.major") if post.is_major_change else ""]
    inlines = [
        {"type": "TextRun", "text": " · ".join(m for m in marks if m) + "\n", "weight": "Bolder"},
        {"type": "TextRun", "text": clip(post.title, TITLE_LIMIT)},
    ]
    facts = [fact(t("changes.services"), clip(", ".join(post.services), 200))] if post.services else []
    if post.action_required_by is not None:
        facts.append(fact(t("changes.act_by"), card_date(post.action_required_by)))
    if post.last_modified is not None:
        facts.append(fact(t("changes.updated"), card_date(post.last_modified)))
    blocks: list[dict[str, Any]] = [{"type": "RichTextBlock", "inlines": inlines, "separator": True}]
    if facts:
        blocks.append({"type": "FactSet", "facts": facts})
    link = open_url(t("changes.open_post"), post_url(admin_center, post.id))
    blocks.append({"type": "ActionSet", "actions": [link]})
    return blocks


def changes_card(
    t: Translate, changes: TenantChanges, admin_center: str, customer_admin_url: str, problem: str | None
) -> dict[str, Any]:
    """`changes <customer>`: major changes and action dates first (soonest first), then the rest by last change."""
    heading = t("changes.heading", customer=changes.customer.name)
    actions = [open_url(t("action.admin_center"), customer_admin_url)]
    if problem:
        return message_card(heading, problem, actions=actions)
    posts = ordered(changes.posts)
    if not posts:
        return message_card(heading, extra=[_line(t("changes.none"))], actions=actions)

    def build(shown: int) -> dict[str, Any]:
        extra = [_line(t("changes.summary", count=len(posts)))]
        extra += [block for post in posts[:shown] for block in post_blocks(t, post, admin_center)]
        if len(posts) > shown:
            extra.append(_line(t("changes.more", count=len(posts) - shown)))
        return message_card(heading, extra=extra, actions=actions)

    return fitted(build, CHANGES_SHOWN)


def digest_card(
    t: Translate, tenants: Sequence[TenantChanges], now: datetime, admin_center: str, problems: dict[str, str]
) -> dict[str, Any]:
    """The weekly digest: per customer, what needs action within 30 days (soonest first); then who could not be read
    and why (`problems` maps tenant id -> reason)."""
    due = [(tenant, needs_action(tenant.posts, now)) for tenant in tenants if tenant.error is None]
    due = [(tenant, posts) for tenant, posts in due if posts]
    unreadable = [tenant for tenant in tenants if tenant.error is not None]
    total = sum(len(posts) for _, posts in due)

    def build(shown: int) -> dict[str, Any]:
        extra = [_line(t("digest.summary", count=total, customers=len(due)) if due else t("digest.nothing"))]
        for tenant, posts in due[:DIGEST_CUSTOMERS_SHOWN]:
            extra.append(_heading(tenant.customer.name))
            extra += [block for post in posts[:shown] for block in post_blocks(t, post, admin_center)]
            if len(posts) > shown:
                extra.append(_line(t("changes.more", count=len(posts) - shown)))
        if len(due) > DIGEST_CUSTOMERS_SHOWN:
            extra.append(_line(t("digest.more_customers", count=len(due) - DIGEST_CUSTOMERS_SHOWN)))
        if unreadable:
            extra.append(_heading(t("digest.unreadable")))
            rows = [fact(x.customer.name, problems.get(x.customer.tenant_id, "")) for x in unreadable[:30]]
            extra.append({"type": "FactSet", "facts": rows})
            if len(unreadable) > 30:
                extra.append(_line(t("digest.more_customers", count=len(unreadable) - 30)))
        return message_card(t("digest.heading"), extra=extra)

    return fitted(build, DIGEST_POSTS_PER_CUSTOMER)


def customer_changes_card(
    t: Translate, upcoming: Sequence[tuple[Any, str, datetime]], partner: str, problem: str | None
) -> dict[str, Any]:
    """A customer's own upcoming changes in plain words: what changes, and by when to act (or when it starts)."""
    heading = t("changes.customer_heading")
    if problem:
        return message_card(heading, problem)
    if not upcoming:
        return message_card(heading, t("changes.customer_none", partner=partner))
    lines: list[dict[str, Any]] = [_line(t("changes.customer_intro", count=len(upcoming)))]
    for post, kind, when in upcoming[:CUSTOMER_SHOWN]:
        words = t(f"changes.customer_{kind}", date=card_date(when))
        inlines = [
            {"type": "TextRun", "text": "• " + clip(post.title, TITLE_LIMIT) + "\n"},
            {"type": "TextRun", "text": words, "isSubtle": True},
        ]
        lines.append({"type": "RichTextBlock", "inlines": inlines})
    if len(upcoming) > CUSTOMER_SHOWN:
        lines.append(_line(t("changes.customer_more", count=len(upcoming) - CUSTOMER_SHOWN)))
    lines.append(_line(t("changes.customer_help", partner=partner)))
    return message_card(heading, extra=lines)


def _line(text: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True}


def _heading(text: str) -> dict[str, Any]:
    # A customer's name is text from outside: a TextRun renders it literally.
    run = {"type": "TextRun", "text": text, "weight": "Bolder", "size": "Medium"}
    return {"type": "RichTextBlock", "inlines": [run], "separator": True, "spacing": "Medium"}
