"""The monitor's noise rules as a table: what each kind of news does to an incident card, given its controls."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from desk.incident_noise import COALESCE_WINDOW, Decision, IncidentControl, decide, snooze_until
from desk.store.incidents import StoredIncident

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
A, B = "tenant-a", "tenant-b"


def incident(status="ServiceDegradation", modified="t1", posts=2, tenants=(A, B), classification="incident"):
    fingerprint = "|".join([status.lower(), modified, str(posts), ",".join(tenants), "False"])
    return StoredIncident("EX1", "Mail", "Exchange Online", classification, status, tenants, fingerprint, False)


BEFORE = incident()
RECENT = IncidentControl("EX1", last_card_at=NOW - timedelta(minutes=2))
QUIET_FOR_LONG = IncidentControl("EX1", last_card_at=NOW - COALESCE_WINDOW)
SNOOZED = replace(QUIET_FOR_LONG, snoozed_until=NOW + timedelta(hours=1))
MUTED_B = replace(QUIET_FOR_LONG, muted=(B,))


@pytest.mark.parametrize(
    ("kind", "after", "control", "expected"),
    [
        ("new", BEFORE, None, Decision.POST),
        ("changed", incident(modified="t2", posts=3), None, Decision.POST),
        ("changed", incident(modified="t2", posts=3), RECENT, Decision.HOLD),
        ("changed", incident(modified="t2", posts=3), QUIET_FOR_LONG, Decision.POST),
        ("changed", incident(status="RestoringService", modified="t2"), RECENT, Decision.POST),
        ("changed", incident(classification="advisory", modified="t2"), RECENT, Decision.POST),
        ("changed", incident(modified="t2", posts=3), SNOOZED, Decision.HOLD),
        ("changed", incident(status="RestoringService", modified="t2"), SNOOZED, Decision.HOLD),
        ("changed", incident(classification="advisory", modified="t2"), SNOOZED, Decision.POST),
        ("resolved", incident(status="ServiceRestored"), SNOOZED, Decision.POST),
        ("changed", incident(modified="t2", tenants=(A,)), MUTED_B, Decision.QUIET),
        ("changed", incident(modified="t2", tenants=(A,)), QUIET_FOR_LONG, Decision.POST),
        ("changed", incident(modified="t2", posts=3, tenants=(A,)), MUTED_B, Decision.POST),
        ("changed", incident(modified="t2", tenants=(B,)), MUTED_B, Decision.POST),  # A left, and A is not muted
        # A muted customer left, and the incident became an advisory: the classification goes out at once.
        ("changed", incident(modified="t2", tenants=(A,), classification="advisory"), RECENT, Decision.POST),
        ("changed", incident(modified="t2", tenants=(A,), classification="advisory"), MUTED_B, Decision.POST),
    ],
)
def test_decisions(kind, after, control, expected):
    assert decide(kind, BEFORE, after, control, NOW) is expected


def test_a_snooze_ends_at_its_time():
    assert SNOOZED.snoozed(NOW) and not SNOOZED.snooze_ended(NOW)
    later = NOW + timedelta(hours=1)
    assert not SNOOZED.snoozed(later) and SNOOZED.snooze_ended(later)


def test_snooze_choices():
    assert snooze_until("1h", NOW, None) == NOW + timedelta(hours=1)
    assert snooze_until("4h", NOW, None) == NOW + timedelta(hours=4)
    assert snooze_until("next", NOW, NOW + timedelta(minutes=90)) == NOW + timedelta(minutes=90)
    assert snooze_until("next", NOW, None) is None, "no next update announced"
    assert snooze_until("next", NOW, NOW - timedelta(minutes=1)) is None, "an announced time already past"
    assert snooze_until("2h", NOW, None) is None
