"""Service-level targets counted in the partner's business hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from desk.hours import BusinessHours
from desk.support import SlaTargets
from desk.tickets import Severity


@dataclass(frozen=True)
class SlaPolicy:
    """First-response and resolution targets per severity, in business time."""

    hours: BusinessHours
    targets: SlaTargets

    def dues(self, opened: datetime, severity: Severity) -> tuple[datetime, datetime]:
        """When the first response and the resolution are due for a ticket opened at `opened`."""
        return (
            self.hours.add(opened, self.targets.first_response[severity.value]),
            self.hours.add(opened, self.targets.resolution[severity.value]),
        )
