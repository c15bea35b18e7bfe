"""Microsoft's response clock on an escalated ticket: the initial-response target for the partner's support plan
and the service request's severity, when it falls due, and whether Microsoft has responded. Pure data and rules.

The table holds only figures Microsoft publishes (each with the page that says so). Microsoft publishes no
response times for Advanced Support for Partners, Partner Cloud Support (formerly Signature Cloud Support) or
commercial support on the pages we could check (https://learn.microsoft.com/en-us/partner-center/customers/escalating-to-microsoft
lists the plans without figures), so those come from the MS_RESPONSE_TARGETS setting, which also overrides the
table (a partner's own contract may say otherwise).

Targets run on the calendar clock, not business hours: Severity A is "24x7 access" on every plan that has it
(https://azure.microsoft.com/en-gb/support/plans/response/), and a partner who wants business-hours figures for
lower severities sets them in MS_RESPONSE_TARGETS."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from desk.escalation import PLAN_NAMES

SEVERITIES = ("critical", "moderate", "minimal")
# A target longer than a week is a typo (minutes taken for hours), not a support plan.
MAX_TARGET_MINUTES = 7 * 24 * 60
AZURE_PLANS_PAGE = "https://azure.microsoft.com/en-gb/support/plans/response/"
# What counts as Microsoft's response: a note written by someone other than the desk's technicians, or the request
# moving to one of these statuses (Partner Center's statuses: none, open, closed, attention_needed,
# https://learn.microsoft.com/en-us/partner-center/developer/service-request-resources). "open" is Partner
# Center taking the request in, not an engineer answering it.
RESPONSE_STATUSES = frozenset({"attention_needed", "closed"})


@dataclass(frozen=True)
class Published:
    """One initial-response target as Microsoft publishes it."""

    minutes: int
    source: str  # the page that says so


# plan key (desk.settings.SUPPORT_PLANS, or "commercial") -> Partner Center severity -> target.
PUBLISHED: Mapping[str, Mapping[str, Published]] = {
    # Premier Support: "Severity A ... Premier: < 1 hr", 24x7 (the Premier column of Azure's plan comparison;
    # Premier Support for Partners is Premier Support sold to partners). B and C are not on the page we could read.
    "premier": {"critical": Published(60, AZURE_PLANS_PAGE)},
}


@dataclass(frozen=True)
class Target:
    """The target that applies to one request: from the setting, or published (with its page)."""

    minutes: int
    source: str  # "setting" or a URL

    @property
    def span(self) -> timedelta:
        """The target as a duration."""
        return timedelta(minutes=self.minutes)


def parse_response_targets(text: str) -> dict[str, int]:
    """Parse MS_RESPONSE_TARGETS, ``"critical=60,moderate=240,minimal=480"`` (minutes); any of the three
    severities, each once, each a whole number of minutes from 1 to a week. Raises ValueError saying what is wrong."""
    targets: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        severity, sep, amount = item.partition("=")
        severity, amount = severity.strip().lower(), amount.strip()
        if not sep or severity not in SEVERITIES:
            raise ValueError(f"bad entry {item!r} (expected severity=minutes, e.g. critical=60)")
        if not amount.isascii() or not amount.isdigit():
            raise ValueError(f"{severity} must be a whole number of minutes, got {amount!r}")
        if severity in targets:
            raise ValueError(f"{severity} is given twice")
        minutes = int(amount)
        if not 1 <= minutes <= MAX_TARGET_MINUTES:
            raise ValueError(f"{severity} must be between 1 and {MAX_TARGET_MINUTES} minutes, got {minutes}")
        targets[severity] = minutes
    return targets


def target_for(plan: str, severity: str, overrides: Mapping[str, int]) -> Target | None:
    """The initial-response target for a request of `severity` under `plan`: the setting's first, then Microsoft's
    published figure; None when neither gives one."""
    if severity in overrides:
        return Target(overrides[severity], "setting")
    published = PUBLISHED.get(plan, {}).get(severity)
    return Target(published.minutes, published.source) if published else None


def plan_key(vehicle: str) -> str:
    """The plan key of a filed request's vehicle (a plan's name, "commercial" or "none")."""
    by_name = {name: key for key, name in PLAN_NAMES.items()}
    return by_name.get(vehicle, vehicle if vehicle in ("commercial", "none") else "none")


def is_response(before_status: str | None, after_status: str, microsoft_notes: Sequence[object]) -> bool:
    """Whether this read of the service request shows Microsoft responding (see RESPONSE_STATUSES)."""
    return bool(microsoft_notes) or (after_status != before_status and after_status in RESPONSE_STATUSES)


@dataclass(frozen=True)
class SrClock:
    """One filed service request's clock, as stored: when it was filed under which plan and severity, when the desk
    last read it from Partner Center, when Microsoft responded, and when the desk said Microsoft was late."""

    ticket_id: int
    sr_id: str
    plan: str
    severity: str
    filed_at: datetime
    checked_at: datetime | None = None
    responded_at: datetime | None = None
    late_noted_at: datetime | None = None

    def target(self, overrides: Mapping[str, int]) -> Target | None:
        """The target that applies."""
        return target_for(self.plan, self.severity, overrides)

    def due(self, overrides: Mapping[str, int]) -> datetime | None:
        """When Microsoft's initial response falls due; None without a target."""
        target = self.target(overrides)
        return self.filed_at + target.span if target else None

    def is_late(self, now: datetime, overrides: Mapping[str, int]) -> bool:
        """Microsoft has not responded by the due time, as a read of the request after that time shows (never on
        the clock alone: a response the desk has not read yet is not lateness)."""
        due = self.due(overrides)
        return (
            due is not None
            and self.responded_at is None
            and now >= due
            and self.checked_at is not None
            and self.checked_at >= due
        )

    def responded_in(self, at: datetime, now: datetime) -> datetime:
        """When to record a response seen now and stamped `at` by Partner Center: never before the filing, never
        after now (clocks differ)."""
        return max(self.filed_at, min(at, now))
