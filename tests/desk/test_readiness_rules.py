"""Readiness rules without Microsoft: how lines add up to ready / partial / blocked, which states are worse, the
Partner Center relationship line, a GDAP end within 30 days, and higher permissions that cover a needed one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desk.customers import Customer
from desk.readiness import Line, State, Status, got_worse, state_of
from desk.readiness_check import gdap_lines, lacking, partner_center_lines
from desk.readiness_teams import talked_line
from msapi.gdap import Relationship

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
TENANT = "9c4e2b7a-3d1f-4a8e-b6c5-2f0e1d3c4b01"


def test_states_add_up_as_documented() -> None:
    ok = Line("gdap", Status.OK, "k")
    assert state_of([ok, ok]) is State.READY
    assert state_of([ok, Line("teams", Status.WARNING, "k")]) is State.PARTIAL
    assert state_of([ok, Line("teams", Status.UNKNOWN, "k")]) is State.PARTIAL
    assert state_of([ok, Line("teams", Status.FAILED, "k")]) is State.PARTIAL
    assert state_of([ok, Line("gdap", Status.FAILED, "k", blocking=True)]) is State.BLOCKED
    assert got_worse(State.READY, State.PARTIAL) and got_worse(State.PARTIAL, State.BLOCKED)
    assert not got_worse(State.BLOCKED, State.PARTIAL) and not got_worse(State.NOT_CHECKED, State.BLOCKED)


def test_an_advisor_relationship_warns_with_its_fix() -> None:
    customer = Customer(TENANT, "Fabrikam", ("fabrikam.com",), relationship="advisor")

    lines = partner_center_lines(customer, TENANT)

    assert [(line.status, line.text, line.fix) for line in lines[1:]] == [
        (Status.WARNING, "readiness.pc.other", "readiness.pc.other_fix")
    ]
    assert partner_center_lines(None, TENANT)[0].blocking


def test_a_relationship_ending_soon_is_a_warning_and_far_is_ok() -> None:
    def rel(days: int) -> Relationship:
        end = NOW + timedelta(days=days)
        return Relationship("r", "R", "active", TENANT, "F", ("69091246-20e8-4a56-aa4d-066075b2a7a8",), "P730D",
                            NOW - timedelta(days=400), NOW - timedelta(days=365), end, "PT0S")  # fmt: skip

    assert gdap_lines([rel(10)], TENANT, NOW)[0].status is Status.WARNING
    assert gdap_lines([rel(100)], TENANT, NOW)[0].status is Status.OK
    roles = gdap_lines([rel(100)], TENANT, NOW)[1]
    assert (
        roles.status is Status.WARNING and roles.params["uses"] == "health"
    )  # Teams Administrator may file support requests
    assert talked_line(0, "F").status is Status.WARNING and talked_line(2, "F").status is Status.OK


def test_a_higher_permission_granted_covers_the_needed_one() -> None:
    base = frozenset({"ServiceHealth.Read.All", "ServiceMessage.Read.All", "User.Read.All", "GroupMember.Read.All"})

    assert lacking(base | {"TeamsAppInstallation.ReadWriteForUser.All", "AppCatalog.ReadWrite.All"}) == []
    assert lacking(base) == ["TeamsAppInstallation.ReadWriteSelfForUser.All", "AppCatalog.Read.All"]
