"""The support profile and SLA targets of the settings: business hours, contact methods, targets per severity."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from desk.env import EnvReader, SettingsError
from desk.hours import BusinessHours
from desk.support import SlaTargets, SupportProfile, parse_contact_methods, parse_targets

# The variables of the support profile. Local mode fills the ones the user did not give with the demo partner's
# (emulator/local.py), so Settings records which were given.
SUPPORT_VARIABLES = (
    "PARTNER_NAME",
    "SUPPORT_HOURS",
    "SUPPORT_EMAIL",
    "SUPPORT_PHONE",
    "SUPPORT_WEBSITE",
    "SUPPORT_PRICING",
    "SUPPORT_EMERGENCY_CONTACT",
    "SUPPORT_CONTACT_METHODS",
)
SLA_DEFAULTS = {
    "SLA_FIRST_RESPONSE": "critical=1h,moderate=4h,minimal=8h",
    "SLA_RESOLUTION": "critical=8h,moderate=24h,minimal=40h",
}


def support_profile(env: EnvReader) -> SupportProfile:
    """SUPPORT_* and PARTNER_NAME: what the welcome card tells customers."""
    hours_text = env.str("SUPPORT_HOURS", "Mon-Fri 09:00-17:00")
    zone = env.str("SUPPORT_TIMEZONE", "UTC")
    try:
        hours = BusinessHours.parse(hours_text, zone, env.str("SUPPORT_HOLIDAYS"))
    except ValueError as error:
        # Match the start of the message only: the rest quotes the user's text, which may contain any word.
        message = str(error)
        variable = (
            "SUPPORT_TIMEZONE"
            if message.startswith("unknown time zone")
            else ("SUPPORT_HOLIDAYS" if message.startswith("bad holiday date") else "SUPPORT_HOURS")
        )
        raise SettingsError(variable, message) from None
    return SupportProfile(
        partner_name=env.str("PARTNER_NAME", "Partner Desk"),
        hours_text=hours_text,
        hours=hours,
        email=env.str("SUPPORT_EMAIL"),
        phone=env.str("SUPPORT_PHONE"),
        website=env.str("SUPPORT_WEBSITE"),
        pricing=env.str("SUPPORT_PRICING"),
        emergency_contact=env.str("SUPPORT_EMERGENCY_CONTACT"),
        contact_methods=env.parsed("SUPPORT_CONTACT_METHODS", parse_contact_methods, "teams"),
    )


def given_support_variables(environ: Mapping[str, str]) -> frozenset[str]:
    """The support variables present in the environment, even empty: `SUPPORT_PHONE=` means "no telephone", which
    local mode must not replace with the demo partner's."""
    return frozenset(name for name in SUPPORT_VARIABLES if name in environ)


def sla_targets(env: EnvReader, hours: BusinessHours) -> SlaTargets:
    """SLA_FIRST_RESPONSE and SLA_RESOLUTION, each target short enough for `hours` to schedule its due time."""
    return SlaTargets(
        first_response=_targets(env, "SLA_FIRST_RESPONSE", hours),
        resolution=_targets(env, "SLA_RESOLUTION", hours),
    )


def _targets(env: EnvReader, name: str, hours: BusinessHours) -> dict[str, timedelta]:
    targets = env.parsed(name, parse_targets, SLA_DEFAULTS[name])
    limit = hours.schedulable()
    for severity, target in targets.items():
        if target > limit:
            raise SettingsError(
                name,
                f"{severity} is {target // timedelta(hours=1)}h of business time, more than SUPPORT_HOURS and"
                f" SUPPORT_HOLIDAYS can schedule (at most {limit // timedelta(hours=1)}h; a day is 24 business hours)",
            )
    return targets
