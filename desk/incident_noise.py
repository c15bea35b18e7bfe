"""Incident noise control: what technicians set on an incident card (acknowledged, snoozed, customers muted) and
when the monitor may update the card. Pure rules; desk/store/incident_controls.py keeps the state.

The rules, in order:
- a new incident is posted, and a resolution always updates its card;
- a change that only adds or removes muted customers is remembered without touching the card;
- while snoozed only a change of classification (advisory <-> incident, Microsoft's severity) updates the card;
  the rest waits for the snooze to end, when the card is brought up to date once;
- a change of classification or status goes out at once;
- any other change goes out at most once per COALESCE_WINDOW per card; one inside the window is not recorded as
  posted, so the first monitor round after the window finds it again and posts the card as it then stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from desk.store.incidents import StoredIncident

COALESCE_WINDOW = timedelta(minutes=5)
# Snooze choices: value -> hours ("next" = until Microsoft's next update, read from the latest post).
SNOOZE_HOURS = {"1h": 1, "4h": 4}
SNOOZE_NEXT_UPDATE = "next"


@dataclass(frozen=True)
class IncidentControl:
    """What technicians set on one incident card, and what the monitor last posted."""

    incident_id: str
    card: str | None = None  # the base card JSON last posted (without the controls and buttons)
    customers: tuple[tuple[str, str], ...] = ()  # (tenant id, name) affected as last posted
    resolved: bool = False
    next_update_at: datetime | None = None
    last_card_at: datetime | None = None
    acked_by: str | None = None
    acked_by_name: str | None = None
    acked_at: datetime | None = None
    snoozed_until: datetime | None = None
    snoozed_by_name: str | None = None
    muted: tuple[str, ...] = ()  # tenant ids

    def snoozed(self, now: datetime) -> bool:
        """Whether the card is snoozed at `now`."""
        return self.snoozed_until is not None and now < self.snoozed_until

    def snooze_ended(self, now: datetime) -> bool:
        """Whether a snooze is recorded that has run out (the card still says it is snoozed)."""
        return self.snoozed_until is not None and now >= self.snoozed_until


class Decision(StrEnum):
    """What the monitor does with one incident's news this round."""

    POST = "post"  # post or update the card now
    HOLD = "hold"  # not now: the news stays unrecorded and is found again next round
    QUIET = "quiet"  # record the incident's new state without updating the card (muted customers only)


def decide(
    kind: str, before: StoredIncident | None, after: StoredIncident, control: IncidentControl | None, now: datetime
) -> Decision:
    """The monitor's decision for an incident reported `kind` (new | changed | resolved) this round."""
    if kind != "changed" or before is None:
        return Decision.POST
    if control is not None and control.muted and _only_muted(before, after, set(control.muted)):
        return Decision.QUIET
    severity = before.classification != after.classification
    if control is not None and control.snoozed(now):
        return Decision.POST if severity else Decision.HOLD
    if severity or before.status != after.status:
        return Decision.POST
    last = control.last_card_at if control is not None else None
    if last is not None and now - last < COALESCE_WINDOW:
        return Decision.HOLD
    return Decision.POST


def _only_muted(before: StoredIncident, after: StoredIncident, muted: set[str]) -> bool:
    """Whether the only difference is which muted customers are affected (a classification change that came with it
    is news: it goes out at once, muted customers or not)."""
    moved = set(before.tenants) ^ set(after.tenants)
    return (
        bool(moved)
        and moved <= muted
        and before.classification == after.classification
        and _without_tenants(before) == _without_tenants(after)
    )


def _without_tenants(incident: StoredIncident) -> list[str]:
    # The fingerprint (desk/incidents.py stored_form) is status|last modified|posts|tenants|resolved. The issue's
    # own news is its status, posts and resolution: its last-modified time moves with any edit, the tenants
    # it affects included, so it says nothing here.
    parts = incident.fingerprint.split("|")
    return [parts[0], parts[2], parts[4]]


def snooze_until(choice: str, now: datetime, next_update: datetime | None) -> datetime | None:
    """When a snooze chosen as `choice` ends; None when it cannot be set (unknown choice, or no next update
    known that is still ahead)."""
    if choice in SNOOZE_HOURS:
        return now + timedelta(hours=SNOOZE_HOURS[choice])
    if choice == SNOOZE_NEXT_UPDATE and next_update is not None and next_update > now:
        return next_update
    return None
