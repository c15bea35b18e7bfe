"""What the partner tells its customers about support: hours, contact methods, pricing, SLA targets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from desk.hours import BusinessHours

SEVERITIES = ("critical", "moderate", "minimal")
CONTACT_METHODS = ("teams", "email", "phone", "website")
_DURATION = re.compile(r"^(\d+)\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}  # a day of SLA time is 24 business hours


@dataclass(frozen=True)
class SupportProfile:
    """The partner's published support terms (the parts Partner Center does not hold)."""

    partner_name: str
    hours_text: str
    hours: BusinessHours
    email: str = ""
    phone: str = ""
    website: str = ""
    pricing: str = ""
    emergency_contact: str = ""
    contact_methods: tuple[str, ...] = ("teams",)


@dataclass(frozen=True)
class SlaTargets:
    """Business-time targets per severity for first response and for resolution."""

    first_response: dict[str, timedelta] = field(default_factory=dict)
    resolution: dict[str, timedelta] = field(default_factory=dict)


def parse_contact_methods(text: str) -> tuple[str, ...]:
    """Parse ``"teams,email"``: names from CONTACT_METHODS, each once; raises ValueError naming unknown ones."""
    methods = tuple(dict.fromkeys(item.strip().lower() for item in text.split(",") if item.strip()))
    unknown = [method for method in methods if method not in CONTACT_METHODS]
    if unknown or not methods:
        named = f"unknown contact method {', '.join(unknown)}" if unknown else "no contact method"
        raise ValueError(f"{named} (expected any of {','.join(CONTACT_METHODS)})")
    return methods


def parse_targets(text: str) -> dict[str, timedelta]:
    """Parse ``"critical=1h,moderate=4h,minimal=1d"`` (m, h, or d of 24 business hours); each severity once,
    each target above zero."""
    targets: dict[str, timedelta] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        severity, _, amount = item.partition("=")
        severity = severity.strip().lower()
        match = _DURATION.match(amount.strip().lower())
        if severity not in SEVERITIES or not match:
            raise ValueError(f"bad target {item!r} (expected e.g. critical=1h)")
        if severity in targets:
            raise ValueError(f"{severity} is given twice in {text!r}")
        number, unit = int(match.group(1)), match.group(2)
        if number == 0:
            raise ValueError(f"target {item!r} must be longer than zero")
        try:
            targets[severity] = timedelta(**{_UNITS[unit]: number})
        except OverflowError:
            raise ValueError(f"target {item!r} is too long") from None
    missing = [severity for severity in SEVERITIES if severity not in targets]
    if missing:
        raise ValueError(f"no target for {', '.join(missing)}")
    return targets
