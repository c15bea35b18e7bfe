"""Support and SLA settings refused at start-up, naming the variable: targets no schedule can reach, zero or repeated
targets, overlapping hours, unknown contact methods, and ports outside 1-65535."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desk.env import SettingsError
from desk.settings import Settings
from desk.sla import SlaPolicy
from desk.tickets import Severity


def settings(**environ: str) -> Settings:
    """Settings from exactly `environ`."""
    return Settings.from_env(environ, env_file=None)


def refusal(**environ: str) -> SettingsError:
    """The SettingsError that `environ` raises."""
    with pytest.raises(SettingsError) as caught:
        settings(**environ)
    return caught.value


def test_a_target_longer_than_the_schedule_can_reach_is_refused_at_start_up() -> None:
    error = refusal(SLA_RESOLUTION="critical=8h,moderate=24h,minimal=200d")

    assert error.variable == "SLA_RESOLUTION"
    # Mon-Fri 09:00-17:00: 114 weeks of 40h less 5 clock changes of 8h.
    assert str(error).startswith("SLA_RESOLUTION: minimal is 4800h of business time")
    assert "at most 4520h" in str(error)


def test_the_longest_accepted_target_still_gets_due_times() -> None:
    desk = settings(SLA_FIRST_RESPONSE="critical=1h,moderate=4h,minimal=4520h")
    policy = SlaPolicy(desk.support.hours, desk.sla)

    for opened in (datetime(2026, 1, 12, 9, tzinfo=UTC), datetime(2026, 12, 24, 23, tzinfo=UTC)):
        for severity in Severity:
            first_response, resolution = policy.dues(opened, severity)
            assert first_response > opened and resolution > opened
    assert refusal(SLA_FIRST_RESPONSE="critical=1h,moderate=4h,minimal=4521h").variable == "SLA_FIRST_RESPONSE"


def test_holidays_shorten_what_a_schedule_can_reach() -> None:
    # Each holiday is taken as a whole 8h day: 4520h - 16h.
    accepted = settings(
        SLA_RESOLUTION="critical=8h,moderate=24h,minimal=4504h", SUPPORT_HOLIDAYS="2026-12-25,2026-12-28"
    )
    assert accepted.sla.resolution["minimal"] == timedelta(hours=4504)
    error = refusal(SLA_RESOLUTION="critical=8h,moderate=24h,minimal=4505h", SUPPORT_HOLIDAYS="2026-12-25,2026-12-28")
    assert error.variable == "SLA_RESOLUTION"


def test_a_day_of_sla_time_is_24_business_hours() -> None:
    desk = settings(SLA_RESOLUTION="critical=1d,moderate=2d,minimal=180d", SUPPORT_HOURS="24x7")

    assert desk.sla.resolution["critical"] == timedelta(hours=24)
    assert desk.sla.resolution["minimal"] == timedelta(days=180)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SLA_FIRST_RESPONSE", "critical=0m,moderate=4h,minimal=8h", "'critical=0m' must be longer than zero"),
        ("SLA_RESOLUTION", "critical=8h,moderate=0h,minimal=40h", "'moderate=0h' must be longer than zero"),
        ("SLA_FIRST_RESPONSE", "critical=1h,critical=2h,moderate=4h,minimal=8h", "critical is given twice"),
        ("SLA_RESOLUTION", "critical=8h,moderate=24h,minimal=40h,Minimal=41h", "minimal is given twice"),
        ("SLA_RESOLUTION", "critical=8h,moderate=24h,minimal=99999999999d", "is too long"),
        ("SUPPORT_HOURS", "Mon-Fri 09:00-17:00; Mon 09:00-17:00", "Mon has overlapping hours"),
        ("SUPPORT_CONTACT_METHODS", "emial,fone", "unknown contact method emial, fone"),
        ("SUPPORT_CONTACT_METHODS", "teams,fax", "unknown contact method fax"),
        ("SUPPORT_CONTACT_METHODS", ",", "no contact method"),
    ],
)
def test_bad_support_values_are_refused_naming_the_variable(variable: str, value: str, message: str) -> None:
    error = refusal(**{variable: value})

    assert error.variable == variable
    assert str(error).startswith(f"{variable}: ")
    assert message in str(error)


def test_unknown_contact_methods_are_refused_with_the_valid_names() -> None:
    assert "(expected any of teams,email,phone,website)" in str(refusal(SUPPORT_CONTACT_METHODS="emial,fone"))


def test_contact_methods_are_lowercased_and_deduplicated() -> None:
    assert settings(SUPPORT_CONTACT_METHODS="Email, TEAMS,email").support.contact_methods == ("email", "teams")
    assert settings().support.contact_methods == ("teams",)


@pytest.mark.parametrize("port", ["0", "-1", "65536"])
def test_port_outside_1_to_65535_is_refused(port: str) -> None:
    error = refusal(PORT=port)

    assert error.variable == "PORT"


@pytest.mark.parametrize("port", ["1", "65535"])
def test_port_limits_are_accepted(port: str) -> None:
    assert settings(PORT=port).port == int(port)
