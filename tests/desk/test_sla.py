"""SLA dues per severity in business time, and the parsing of SLA targets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desk.hours import BusinessHours
from desk.sla import SlaPolicy
from desk.support import SlaTargets, parse_targets
from desk.tickets import Severity

# The desk's default targets (SLA_FIRST_RESPONSE and SLA_RESOLUTION), written out.
TARGETS = SlaTargets(
    first_response={
        "critical": timedelta(hours=1),
        "moderate": timedelta(hours=4),
        "minimal": timedelta(hours=8),
    },
    resolution={
        "critical": timedelta(hours=8),
        "moderate": timedelta(hours=24),
        "minimal": timedelta(hours=40),
    },
)
# Mon-Fri 09:00-17:00 UTC: 8 business hours a day. 2026-01-12 is a Monday.
POLICY = SlaPolicy(BusinessHours.parse("Mon-Fri 09:00-17:00", "UTC"), TARGETS)
MONDAY_1500 = datetime(2026, 1, 12, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("severity", "first_response", "resolution"),
    [
        # 1h -> Monday 16:00. 8h: 2h Monday + 6h Tuesday -> Tuesday 15:00.
        (Severity.CRITICAL, datetime(2026, 1, 12, 16, 0, tzinfo=UTC), datetime(2026, 1, 13, 15, 0, tzinfo=UTC)),
        # 4h: 2h Monday + 2h Tuesday -> Tuesday 11:00. 24h: 2 + 8 (Tue) + 8 (Wed) + 6 (Thu) -> Thursday 15:00.
        (Severity.MODERATE, datetime(2026, 1, 13, 11, 0, tzinfo=UTC), datetime(2026, 1, 15, 15, 0, tzinfo=UTC)),
        # 8h -> Tuesday 15:00. 40h: 2 + 8 x 4 (Tue-Fri) + 6 (next Monday) -> Monday Jan 19 15:00.
        (Severity.MINIMAL, datetime(2026, 1, 13, 15, 0, tzinfo=UTC), datetime(2026, 1, 19, 15, 0, tzinfo=UTC)),
    ],
)
def test_dues_for_each_severity(severity: Severity, first_response: datetime, resolution: datetime) -> None:
    assert POLICY.dues(MONDAY_1500, severity) == (first_response, resolution)


def test_dues_of_a_ticket_opened_at_the_weekend_count_from_monday_morning() -> None:
    # Saturday Jan 17: the clock starts Monday Jan 19 09:00. Critical: 1h -> 10:00; 8h -> 17:00.
    saturday = datetime(2026, 1, 17, 11, 0, tzinfo=UTC)
    assert POLICY.dues(saturday, Severity.CRITICAL) == (
        datetime(2026, 1, 19, 10, 0, tzinfo=UTC),
        datetime(2026, 1, 19, 17, 0, tzinfo=UTC),
    )


def test_dues_in_the_desks_time_zone() -> None:
    # Europe/London in January is UTC+0, in July UTC+1. Monday July 13 2026 15:00 BST = 14:00 UTC.
    # Critical first response: 16:00 BST = 15:00 UTC; resolution: 2h Monday + 6h Tuesday = Tuesday 15:00 BST.
    london = SlaPolicy(BusinessHours.parse("Mon-Fri 09:00-17:00", "Europe/London"), TARGETS)
    first, resolved = london.dues(datetime(2026, 7, 13, 14, 0, tzinfo=UTC), Severity.CRITICAL)
    assert first == datetime(2026, 7, 13, 15, 0, tzinfo=UTC)
    assert resolved == datetime(2026, 7, 14, 14, 0, tzinfo=UTC)


def test_parse_targets_units() -> None:
    assert parse_targets("critical=30m, Moderate=4h,minimal=1d") == {
        "critical": timedelta(minutes=30),
        "moderate": timedelta(hours=4),
        "minimal": timedelta(days=1),
    }


@pytest.mark.parametrize(
    "text",
    [
        "critical=1h,moderate=4h",  # minimal missing
        "critical=1h,moderate=4h,minimal=1w",  # unknown unit
        "urgent=1h,critical=1h,moderate=4h,minimal=8h",  # unknown severity
        "critical=fast,moderate=4h,minimal=8h",
        "",
    ],
)
def test_parse_targets_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_targets(text)
