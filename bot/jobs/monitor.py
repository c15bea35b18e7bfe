"""The service-health monitor: polls every customer, posts each new incident affecting customers to the triage
channel as one card (customers listed), updates that card as the incident changes and when it is resolved.
It runs as a Periodic job, so only the instance holding the lease polls; what it posted is in the database.

Updates follow the incident's noise controls (desk/incident_noise.py): coalesced to one per 5 minutes unless the
classification or status changes, held while snoozed, muted customers' changes left out; a snooze that ran out
brings the card up to date once. News held back is not recorded as posted, so a later round finds it again."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.turns.services import Services
from cards.health import incident_card
from cards.incident_controls import incident_view
from cards.render import card_message
from desk.clouds import admin_center_for
from desk.health import SharedIssue
from desk.i18n import Translator
from desk.incident_noise import Decision, IncidentControl, decide
from desk.incident_posts import post_news
from desk.incident_service import IncidentPost
from desk.incidents import CARD_PREFIX, IncidentNews, news, stored_form
from desk.outbox import Operation, Outgoing
from desk.store.conversations import Conversation
from desk.store.incidents import StoredIncident

logger = logging.getLogger(__name__)


async def monitor_round(services: Services) -> int:
    """One poll of every customer; returns how many incident cards were posted or updated."""
    desk = services.desk
    channel = await desk.triage_channel()
    if channel is None:
        return 0
    customers = await services.customers.all()
    sweep = await services.health.sweep(customers, fresh=True)
    known = await desk.known_incidents()
    found, gone = news(sweep, known)
    by_tenant = {c.tenant_id: c for c in customers}
    for incident in gone:
        resolution = await _confirm_resolved(services, incident, by_tenant)
        if resolution is not None:
            found.append(resolution)
    now = services.clock()
    controls = await desk.incident_controls()
    t = Translator(channel.locale)
    posts: list[IncidentPost] = []
    quiet: list[StoredIncident] = []
    for item in found:
        control = controls.get(item.incident.id)
        decision = decide(item.kind, known.get(item.incident.id), item.incident, control, now)
        if control is not None and control.snooze_ended(now):
            decision = Decision.POST  # the snooze's end brings the card up to date, whatever changed
        if decision is Decision.POST:
            posts.append(_post(services, t, channel, item, control, now))
        elif decision is Decision.QUIET:
            quiet.append(item.incident)
    # Cards brought up to date (once) without news: a snooze that ran out, and a card posted before the desk
    # had noise controls (it gets its buttons; its controls are recorded with it).
    current = {shared.issue.id: shared for shared in sweep.issues}
    posted = {post.incident.id for post in posts}
    for incident_id, stored in known.items():
        control, shared = controls.get(incident_id), current.get(incident_id)
        due = control is None or control.snooze_ended(now)
        if incident_id in posted or not due or shared is None:
            continue
        item = IncidentNews("changed", stored, shared.issue, shared.customers)
        posts.append(_post(services, t, channel, item, control, now))
    if not posts and not quiet:
        return 0
    await desk.record_incident_round(posts, quiet)
    logger.info("health monitor: %d incident card(s) posted or updated", len(posts))
    return len(posts)


def _post(
    services: Services,
    t: Translator,
    channel: Conversation,
    item: IncidentNews,
    control: IncidentControl | None,
    now: datetime,
) -> IncidentPost:
    """The card of one incident as it stands, with its controls, and what the controls remember of it."""
    resolved = item.kind == "resolved"
    shared = SharedIssue(item.issue, item.customers)
    first = item.customers[0].tenant_id if item.customers else item.incident.tenants[0]
    base = incident_card(t, shared, resolved, admin_center_for(services.settings.cloud, first))
    names = dict(control.customers) if control else {}
    names.update({c.tenant_id: c.name for c in item.customers})
    affected = [(c.tenant_id, c.name) for c in item.customers]
    muted_gone = [
        (tenant, names[tenant]) for tenant in (control.muted if control else ()) if tenant not in dict(affected)
    ]
    next_update = _next_update(item.issue)
    shown = replace(
        control or IncidentControl(item.incident.id),
        customers=tuple(affected + muted_gone),
        resolved=resolved,
        next_update_at=next_update,
    )
    card = incident_view(t, base, shown, now)
    key = f"{CARD_PREFIX}{item.incident.id}"
    summary = t("monitor.summary", id=item.incident.id, service=item.incident.service)
    operation = Operation.POST if item.kind == "new" else Operation.UPDATE
    outgoing = Outgoing(channel.key, operation, card_message(card, summary), card_key=key)
    return IncidentPost(item.incident, [outgoing], base, list(shown.customers), next_update)


def _next_update(issue: Any) -> datetime | None:
    """When Microsoft's latest post says its next update is due (None when it does not say, as a time)."""
    post = getattr(issue, "latest_post", None)
    return post_news(post.text).next_update if post is not None else None


async def _confirm_resolved(services: Services, incident: StoredIncident, by_tenant: dict) -> IncidentNews | None:  # type: ignore[type-arg]
    """An incident that left every tenant's open list: read it by id to confirm and to show its last post."""
    customers = tuple(by_tenant[t] for t in incident.tenants if t in by_tenant)
    if not customers:
        return None
    try:
        issue = await services.graph.issue(customers[0].tenant_id, incident.id)
    except Exception as error:
        logger.warning("could not confirm that %s is resolved: %s", incident.id, error)
        return None
    if not issue.is_resolved:
        return None
    resolved = stored_form(SharedIssue(issue, customers), resolved=True)
    return IncidentNews("resolved", resolved, issue, customers)
