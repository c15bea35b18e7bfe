"""Readiness cards are valid Adaptive Cards in every locale: a checklist with every status and every line the checks
produce, the `customers` card with every state (and 500 customers within Teams' size limit), and every line's text
and fix formats with the parameters its check gives it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cards.readiness import MAX_ROWS, customers_readiness_card, readiness_card
from desk.i18n import Translator
from desk.readiness import Line, State, Status
from desk.readiness_service import Readiness
from tests.cards.examples import LOCALES
from tests.cards.schema import assert_valid_card

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
TENANT = "9c4e2b7a-3d1f-4a8e-b6c5-2f0e1d3c4b01"
HOSTILE = "=cmd|' /C calc'!A0 **bold** [x](https://evil.example) Фабрикам"


@pytest.fixture(params=LOCALES)
def t(request: pytest.FixtureRequest) -> Translator:
    return Translator(request.param)


def every_line() -> list[Line]:
    params: dict[str, str | int] = {"tenant": TENANT, "app": "app", "permissions": "User.Read.All", "count": 3,
              "permission": "AppCatalog.Read.All", "manifest": "m", "name": HOSTILE, "checked": 50, "reseller": "r",
              "customer": HOSTILE, "relationship": "advisor", "end": "2027-01-01", "roles": "Teams Administrator",
              "uses": "teams"}  # fmt: skip
    keys = [
        ("partner_center", "readiness.pc.missing", "readiness.pc.missing_fix"),
        ("partner_center", "readiness.pc.listed", None),
        ("partner_center", "readiness.pc.direct", None),
        ("partner_center", "readiness.pc.indirect", None),
        ("partner_center", "readiness.pc.other", "readiness.pc.other_fix"),
        ("partner_center", "readiness.pc.unknown", None),
        ("gdap", "readiness.gdap.unknown", "readiness.gdap.unknown_fix"),
        ("gdap", "readiness.gdap.none", "readiness.gdap.none_fix"),
        ("gdap", "readiness.gdap.ended", "readiness.gdap.none_fix"),
        ("gdap", "readiness.gdap.active", None),
        ("gdap", "readiness.gdap.active_extends", None),
        ("gdap", "readiness.gdap.ends_soon", "readiness.gdap.ends_soon_fix"),
        ("gdap", "readiness.gdap.roles_ok", None),
        ("gdap", "readiness.gdap.roles_missing", "readiness.gdap.roles_fix"),
        ("consent", "readiness.consent.none", "readiness.consent.none_fix"),
        ("consent", "readiness.consent.granted", None),
        ("consent", "readiness.consent.missing", "readiness.consent.missing_fix"),
        ("consent", "readiness.consent.call_ok", None),
        ("consent", "readiness.consent.call_refused", "readiness.consent.missing_fix"),
        ("consent", "readiness.consent.call_unknown", None),
        ("teams", "readiness.teams.catalog_ok", None),
        ("teams", "readiness.teams.catalog_missing", "readiness.teams.catalog_missing_fix"),
        ("teams", "readiness.teams.catalog_unknown", "readiness.teams.catalog_unknown_fix"),
        ("teams", "readiness.teams.unreachable", None),
        ("teams", "readiness.teams.installed_no_catalog", None),
        ("teams", "readiness.teams.installed_refused", "readiness.teams.installed_refused_fix"),
        ("teams", "readiness.teams.installed", "readiness.teams.installed_fix"),
        ("teams", "readiness.teams.installed_at_least", None),
        ("teams", "readiness.teams.talked", "readiness.teams.talked_fix"),
    ]
    statuses = list(Status)
    return [Line(area, statuses[i % 4], text, params, fix) for i, (area, text, fix) in enumerate(keys)]


def test_a_checklist_with_every_line_and_status_is_valid(t: Translator) -> None:
    card = readiness_card(t, Readiness(TENANT, HOSTILE, tuple(every_line()), NOW))

    assert_valid_card(card)
    again = card["actions"][0]
    assert again["data"] == {"verb": "readiness.check", "id": TENANT}


@pytest.mark.parametrize("count", [0, 4, 500])
def test_the_customers_card_is_valid_with_every_state(t: Translator, count: int) -> None:
    states = list(State)
    rows = [(f"{HOSTILE} {n}", f"tenant-{n}", n % 3, states[n % 4]) for n in range(count)]

    card = customers_readiness_card(t, rows)

    assert_valid_card(card)
    buttons = [a for n in card["body"] if n["type"] == "ColumnSet" for a in n["columns"][1]["items"][0]["actions"]]
    assert len(buttons) == min(count, MAX_ROWS)
    assert all(b["data"] == {"verb": "readiness.check", "id": f"tenant-{n}"} for n, b in enumerate(buttons))
