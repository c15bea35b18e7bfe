"""Answers before tickets: when a customer describes a problem (a first message, or the ticket form), the best
matching answers of the knowledge base (up to three) and the active Microsoft incidents in their tenant that relate
to it are offered first, each recorded as an offer (table deflections) under the form's draft. With no matching
answer nothing is offered and the flow is as before: an incident alone is already announced on the ticket
(bot/features/incident_links.py), so it does not hold a ticket back."""

from __future__ import annotations

import logging
from typing import Any

from bot.features.kb import knowledge
from bot.turns.turn import Turn
from cards.health import status_words
from cards.kb import Shown, answers_beside_ticket, offer_card
from desk.health import related_issues
from desk.kb_service import Prepared

logger = logging.getLogger(__name__)
INCIDENTS = 2  # incidents offered at most


async def prepare(turn: Turn, draft_id: str, description: str) -> Prepared:
    """The form's draft with the answers to its description and whether they were offered already (one read)."""
    return await knowledge(turn.services).prepare(draft_id, description)


async def offer_card_for(turn: Turn, prepared: Prepared, description: str) -> dict[str, Any] | None:
    """The offer card for a draft, with its offers recorded; None when nothing matches or the draft's offers were
    made already (a form shown after "I still need help" is not held again)."""
    articles = prepared.answers
    if prepared.draft is None or prepared.offered or not articles:
        return None
    incidents = await _incidents(turn, description)
    shown = [("kb", str(article.id)) for article in articles] + [("incident", issue.id) for issue in incidents]
    person = turn.person
    offers = await knowledge(turn.services).offer(prepared.draft.id, person.customer_tenant_id, person.aad_id, shown)
    t = turn.t
    items = [
        Shown(offer.offer_id, article.title, article.body) for offer, article in zip(offers, articles, strict=False)
    ]
    for offer, issue in zip(offers[len(articles) :], incidents, strict=False):
        title = t("answers.incident_title", id=issue.id, title=issue.title)
        items.append(Shown(offer.offer_id, title, t("answers.incident_text", status=status_words(t, issue.status))))
    return offer_card(t, items)


async def beside_critical(turn: Turn, number: str, prepared: Prepared) -> None:
    """A critical ticket is opened at once; matching answers are shown beside its confirmation (no offer: the
    ticket is already open)."""
    if prepared.answers:
        await turn.show(answers_beside_ticket(turn.t, number, prepared.answers))


async def settle(turn: Turn, prepared: Prepared, ticket_id: int) -> None:
    """A ticket was opened from a draft: the answers offered before it, if any, count as "still needed help"."""
    if prepared.offered and prepared.draft is not None:
        await knowledge(turn.services).needed_help(prepared.draft.id, ticket_id)


async def _incidents(turn: Turn, description: str) -> list[Any]:
    """The active incidents in the customer's tenant that relate to what they wrote ([] when health is unreadable)."""
    services = turn.services
    customer = turn.person.customer
    if customer is None:
        return []
    try:
        health = await services.health.tenant(customer)
    except Exception:  # health is an extra here: the answers are offered without it
        logger.exception("could not read the service health of %s for an offer", customer.name)
        return []
    if health.error is not None:
        return []
    return list(related_issues(description, health.issues))[:INCIDENTS]
