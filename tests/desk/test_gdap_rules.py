"""desk/gdap.py's rules: which warning is due (the nearest threshold only; none for an auto-extending, never-active
or long-ended relationship; ended by status or by an end that passed), and what a customer's relationships allow."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from desk.gdap import SERVICE_SUPPORT_ADMINISTRATOR, AccessState, customer_access, due_warning, role_name
from msapi.gdap import Relationship

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
TENANT = "9c4e2b7a-3d1f-4a8e-b6c5-2f0e1d3c4b01"


def rel(days_left: float, status: str = "active", extend: str = "PT0S", roles=(SERVICE_SUPPORT_ADMINISTRATOR,)):
    end = NOW + timedelta(days=days_left)
    return Relationship(
        "r1",
        "Fabrikam",
        status,
        TENANT,
        "Fabrikam, Inc.",
        roles,
        "P730D",
        end - timedelta(days=731),
        end - timedelta(days=730),
        end,
        extend,
    )


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [(45, None), (30.5, None), (29.9, "30d"), (7.5, "30d"), (6.9, "7d"), (1.5, "7d"), (0.5, "1d"), (-0.1, "ended")],
)
def test_the_nearest_threshold_only(days_left: float, expected: str | None) -> None:
    warning = due_warning(rel(days_left), NOW)
    assert (warning.threshold if warning else None) == expected


def test_auto_extending_relationships_are_never_warned_about() -> None:
    assert due_warning(rel(0.5, extend="P180D"), NOW) is None
    assert due_warning(rel(-0.5, extend="P180D"), NOW) is None, "an end just passed is an extension under way"


def test_ended_by_status_long_ago_or_never_active() -> None:
    assert due_warning(rel(100, status="terminated"), NOW).threshold == "ended"
    assert due_warning(rel(-31, status="expired"), NOW) is None, "history, not news"
    pending = replace(rel(0, status="approvalPending"), activated=None, end=None)
    assert due_warning(pending, NOW) is None


def test_an_extended_end_is_a_new_round_of_warnings() -> None:
    before, after = due_warning(rel(20), NOW), due_warning(rel(25), NOW)
    assert before.threshold == after.threshold == "30d" and before.end_key != after.end_key


def test_customer_access_states() -> None:
    reader_only = rel(100, roles=(GLOBAL_READER,))
    assert customer_access([rel(100)], TENANT, NOW).state is AccessState.OK
    assert customer_access([reader_only], TENANT, NOW).state is AccessState.NO_SUPPORT_ROLE
    assert customer_access([rel(-1, status="expired")], TENANT, NOW).state is AccessState.ENDED
    assert customer_access([rel(100)], "another-tenant", NOW).state is AccessState.NONE
    both = customer_access([reader_only, replace(rel(50), id="r2")], TENANT.upper(), NOW)
    assert both.state is AccessState.OK and both.current.id == "r2", "the one allowing support comes first"


def test_role_names() -> None:
    assert role_name(SERVICE_SUPPORT_ADMINISTRATOR.upper()) == "Service Support Administrator"
    assert role_name("00000000-0000-0000-0000-000000000000") == "00000000-0000-0000-0000-000000000000"
