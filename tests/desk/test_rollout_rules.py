"""How `roll out` reads its words, and which GDAP roles allow a roll-out (desk/rollout_rules.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desk.rollout_rules import (
    ALL,
    GLOBAL_ADMINISTRATOR,
    GROUP,
    PEOPLE,
    TEAMS_ADMINISTRATOR,
    parse_choice,
    rollout_allowed,
)
from msapi.gdap import Relationship

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def relationship(roles: tuple[str, ...], status: str = "active", tenant: str = "t1") -> Relationship:
    return Relationship(
        id="r", display_name="r", customer_tenant_id=tenant, customer_name="C", status=status, role_ids=roles,
        duration="P730D", created=NOW - timedelta(days=10), activated=NOW - timedelta(days=9),
        end=NOW + timedelta(days=30), auto_extend_duration="",
    )  # fmt: skip


def test_words_before_the_choice_name_the_customer() -> None:
    assert parse_choice("fabrikam") == parse_choice("fabrikam all")
    assert parse_choice("adventure works all").customer == "adventure works"
    sales = parse_choice("fabrikam group Sales Team")
    assert (sales.customer, sales.kind, sales.group) == ("fabrikam", GROUP, "Sales Team")
    people = parse_choice("fabrikam Megan@Fabrikam.com, adele@fabrikam.com megan@fabrikam.com")
    assert people.kind == PEOPLE and people.addresses == ("megan@fabrikam.com", "adele@fabrikam.com")
    assert parse_choice("fabrikam").kind == ALL


def test_teams_or_global_administrator_in_an_active_relationship_allows_it() -> None:
    assert rollout_allowed([relationship((TEAMS_ADMINISTRATOR,))], "T1", NOW)
    assert rollout_allowed([relationship((GLOBAL_ADMINISTRATOR,))], "t1", NOW)
    assert not rollout_allowed([relationship(("f023fd81-a637-4b56-95fd-791ac0226033",))], "t1", NOW)
    assert not rollout_allowed([relationship((TEAMS_ADMINISTRATOR,), status="expired")], "t1", NOW)
    assert not rollout_allowed([relationship((TEAMS_ADMINISTRATOR,), tenant="other")], "t1", NOW)
