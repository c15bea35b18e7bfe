"""The service-health monitor's memory: which incidents were posted, which changed, which are now resolved."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from desk.health import SharedIssue, Sweep
from desk.store.incidents import StoredIncident

# Incident cards are posted under this prefix + the incident id (posted_cards), and forgotten with the incident.
CARD_PREFIX = "incident:"


@dataclass(frozen=True)
class IncidentNews:
    """What the monitor must post: a new incident, a change to one, or its resolution."""

    kind: str  # new | changed | resolved
    incident: StoredIncident
    issue: Any  # the Graph issue as last read (for a resolution: as fetched by id, or None)
    customers: tuple[Any, ...]


def stored_form(shared: SharedIssue, resolved: bool = False) -> StoredIncident:
    """The state of an issue that is remembered between rounds."""
    issue = shared.issue
    tenants = tuple(sorted(c.tenant_id for c in shared.customers))
    fingerprint = "|".join(
        [issue.status_key, str(issue.last_modified or ""), str(len(issue.posts)), ",".join(tenants), str(resolved)]
    )
    return StoredIncident(
        id=issue.id,
        title=issue.title,
        service=issue.service,
        classification=issue.classification,
        status=issue.status,
        tenants=tenants,
        fingerprint=fingerprint,
        resolved=resolved,
    )


def news(sweep: Sweep, known: dict[str, StoredIncident]) -> tuple[list[IncidentNews], list[StoredIncident]]:
    """New and changed incidents of this round, and the known ones that no longer appear anywhere (candidates
    for resolution). An incident is a candidate only if every tenant it affected was read this round: an
    unreadable tenant says nothing about its incidents."""
    found: list[IncidentNews] = []
    current = {shared.issue.id: shared for shared in sweep.issues}
    for issue_id, shared in current.items():
        state = stored_form(shared)
        before = known.get(issue_id)
        if before is None:
            found.append(IncidentNews("new", state, shared.issue, shared.customers))
        elif before.fingerprint != state.fingerprint:
            found.append(IncidentNews("changed", state, shared.issue, shared.customers))
    readable = {t.customer.tenant_id for t in sweep.tenants if t.error is None}
    gone = [i for i in known.values() if i.id not in current and set(i.tenants) <= readable]
    return found, gone
