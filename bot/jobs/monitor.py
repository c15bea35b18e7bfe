"""The service-health monitor: polls every customer, posts each new incident affecting customers to the triage
channel as one card (customers listed), updates that card as the incident changes and when it is resolved.
It runs as a Periodic job, so only the instance holding the lease polls; what it posted is in the database."""

from __future__ import annotations

import logging

from bot.turns.services import Services
from cards.health import incident_card
from cards.render import card_message
from desk.clouds import admin_center_for
from desk.health import SharedIssue
from desk.i18n import Translator
from desk.incidents import CARD_PREFIX, IncidentNews, news, stored_form
from desk.outbox import Operation, Outgoing
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
    found, gone = news(sweep, await desk.known_incidents())
    by_tenant = {c.tenant_id: c for c in customers}
    for incident in gone:
        resolution = await _confirm_resolved(services, incident, by_tenant)
        if resolution is not None:
            found.append(resolution)
    if not found:
        return 0
    t = Translator(channel.locale)
    changes: list[tuple[StoredIncident, list[Outgoing]]] = []
    for item in found:
        shared = SharedIssue(item.issue, item.customers)
        first = item.customers[0].tenant_id if item.customers else item.incident.tenants[0]
        card = incident_card(t, shared, item.kind == "resolved", admin_center_for(services.settings.cloud, first))
        key = f"{CARD_PREFIX}{item.incident.id}"
        summary = t("monitor.summary", id=item.incident.id, service=item.incident.service)
        operation = Operation.POST if item.kind == "new" else Operation.UPDATE
        changes.append((item.incident, [Outgoing(channel.key, operation, card_message(card, summary), card_key=key)]))
    await desk.record_incidents(changes)
    logger.info("health monitor: %d incident card(s) posted or updated", len(changes))
    return len(changes)


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
