"""Microsoft's initial-response targets per plan and severity, the MS_RESPONSE_TARGETS setting over them (and its
refusal of bad input at start-up), and the clock's rules: due time, lateness only after a read past it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desk.env import SettingsError
from desk.ms_response import (
    AZURE_PLANS_PAGE,
    SrClock,
    Target,
    is_response,
    parse_response_targets,
    plan_key,
    target_for,
)
from desk.settings import Settings

FILED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_published_target_per_plan_and_severity() -> None:
    assert target_for("premier", "critical", {}) == Target(60, AZURE_PLANS_PAGE)
    # Microsoft publishes none for these on the pages we checked: no target rather than a guessed one.
    assert target_for("premier", "moderate", {}) is None
    assert target_for("advanced", "critical", {}) is None
    assert target_for("signature", "minimal", {}) is None
    assert target_for("commercial", "critical", {}) is None


def test_the_setting_overrides_the_table_and_fills_its_gaps() -> None:
    overrides = parse_response_targets("critical=30, moderate=240")
    assert target_for("premier", "critical", overrides) == Target(30, "setting")
    assert target_for("advanced", "moderate", overrides) == Target(240, "setting")
    assert target_for("advanced", "minimal", overrides) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("critical=1h", "whole number of minutes"),
        ("critical=0", "between 1 and 10080"),
        ("critical=99999", "between 1 and 10080"),
        ("urgent=60", "bad entry 'urgent=60'"),
        ("critical", "bad entry 'critical'"),
        ("critical=60,critical=30", "critical is given twice"),
        ("critical=-5", "whole number of minutes"),
        ("critical=６０", "whole number of minutes"),
    ],
)
def test_bad_targets_are_refused_saying_why(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_response_targets(text)


def test_settings_refuse_bad_targets_at_start_up() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"MS_RESPONSE_TARGETS": "critical=1h"}, env_file=None)
    assert "MS_RESPONSE_TARGETS" in str(refused.value) and "whole number of minutes" in str(refused.value)
    settings = Settings.from_env({"MS_RESPONSE_TARGETS": "minimal=480,critical=60"}, env_file=None)
    assert settings.ms_response_targets == {"minimal": 480, "critical": 60}
    assert Settings.from_env({}, env_file=None).ms_response_targets == {}


def test_a_request_is_late_only_once_a_read_after_its_due_time_found_no_response() -> None:
    clock = SrClock(1, "SR-1", "premier", "critical", FILED)
    due = FILED + timedelta(hours=1)
    assert clock.due({}) == due
    late_now = due + timedelta(minutes=5)
    assert not clock.is_late(late_now, {}), "never read: a response may be waiting unseen"
    assert not SrClock(1, "SR-1", "premier", "critical", FILED, checked_at=due - timedelta(seconds=1)).is_late(
        late_now, {}
    )
    read_late = SrClock(1, "SR-1", "premier", "critical", FILED, checked_at=due)
    assert read_late.is_late(late_now, {})
    assert not SrClock(1, "SR-1", "premier", "critical", FILED, checked_at=due, responded_at=due).is_late(late_now, {})
    assert not SrClock(1, "SR-1", "advanced", "critical", FILED, checked_at=due).is_late(late_now, {}), "no target"


def test_a_response_is_recorded_within_the_filing_and_now() -> None:
    clock = SrClock(1, "SR-1", "premier", "critical", FILED)
    now = FILED + timedelta(minutes=40)
    assert clock.responded_in(FILED + timedelta(minutes=12), now) == FILED + timedelta(minutes=12)
    assert clock.responded_in(FILED - timedelta(minutes=3), now) == FILED, "Partner Center's clock may run behind"
    assert clock.responded_in(now + timedelta(minutes=3), now) == now, "or ahead"


def test_what_counts_as_microsofts_response() -> None:
    assert is_response("open", "open", ["a note from Microsoft"])
    assert is_response("open", "attention_needed", [])
    assert is_response("open", "closed", [])
    assert not is_response("none", "open", []), "Partner Center taking the request in is not an answer"
    assert not is_response("open", "open", [])


def test_plan_keys_from_the_filed_vehicle() -> None:
    assert plan_key("Premier Support for Partners") == "premier"
    assert plan_key("Advanced Support for Partners") == "advanced"
    assert plan_key("commercial") == "commercial"
    assert plan_key("none") == "none"
