"""The partner's GDAP relationships as the emulator keeps them: Graph's delegatedAdminRelationship fields and wire
form (https://learn.microsoft.com/en-us/graph/api/resources/delegatedadminrelationship?view=graph-rest-1.0, and the
sample response of
https://learn.microsoft.com/en-us/graph/api/tenantrelationship-list-delegatedadminrelationships?view=graph-rest-1.0),
and the demo customers' relationships."""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from emulator import demo
from emulator.graph_wire import iso

SERVICE_SUPPORT_ADMINISTRATOR = "f023fd81-a637-4b56-95fd-791ac0226033"
EXCHANGE_ADMINISTRATOR = "29232cdf-9323-42fd-ade2-1d097af3e4de"
HELPDESK_ADMINISTRATOR = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
TEAMS_ADMINISTRATOR = "69091246-20e8-4a56-aa4d-066075b2a7a8"  # the roll-out (issue 16)
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"


@dataclass(frozen=True)
class GdapRelationship:
    """One delegatedAdminRelationship of the partner."""

    id: str
    display_name: str
    customer: demo.DemoTenant
    roles: tuple[str, ...]
    status: str  # as Graph spells it: active, expired, terminated, approvalPending, ...
    created: datetime
    activated: datetime | None
    end: datetime | None
    duration: str = "P730D"
    auto_extend: str = "PT0S"  # or "P180D"


def relationship_resource(relationship: GdapRelationship) -> dict[str, Any]:
    """The relationship as Graph serialises it."""
    touched = relationship.end if relationship.status in ("expired", "terminated") else relationship.activated
    return {
        "@odata.type": "#microsoft.graph.delegatedAdminRelationship",
        "@odata.etag": 'W/"' + base64.b64encode(relationship.id.encode()).decode()[:40] + '"',
        "id": relationship.id,
        "displayName": relationship.display_name,
        "duration": relationship.duration,
        "customer": {"tenantId": relationship.customer.tenant_id, "displayName": relationship.customer.name},
        "accessDetails": {"unifiedRoles": [{"roleDefinitionId": role} for role in relationship.roles]},
        "status": relationship.status,
        "autoExtendDuration": relationship.auto_extend,
        "createdDateTime": iso(relationship.created),
        "lastModifiedDateTime": iso(touched or relationship.created),
        "activatedDateTime": iso(relationship.activated),
        "endDateTime": iso(relationship.end),
    }


def demo_relationships(now: datetime) -> list[GdapRelationship]:
    """One relationship per demo customer: Fabrikam's ends in 20 days (no auto-extend), Northwind's auto-extends,
    Adventure Works' ends in 6 days and lacks a role that allows support requests, Tailspin's expired."""

    def made(
        customer: demo.DemoTenant, suffix: str, roles: tuple[str, ...], status: str, end: timedelta, **kw: str
    ) -> GdapRelationship:
        ends = now + end
        activated = ends - timedelta(days=730)
        rid = f"{customer.tenant_id[:8]}-{suffix}-{demo.PARTNER.tenant_id}"
        name = f"{customer.name.split(',')[0].split(' ')[0]} support ({suffix})"
        return GdapRelationship(
            rid, name, customer, roles, status, activated - timedelta(hours=2), activated, ends, **kw
        )

    support = (SERVICE_SUPPORT_ADMINISTRATOR, EXCHANGE_ADMINISTRATOR, GLOBAL_READER)
    return [
        made(demo.FABRIKAM, "0001", (*support, TEAMS_ADMINISTRATOR), "active", timedelta(days=20)),
        made(
            demo.NORTHWIND,
            "0002",
            (HELPDESK_ADMINISTRATOR, GLOBAL_READER),
            "active",
            timedelta(days=5),
            auto_extend="P180D",
        ),
        made(demo.ADVENTURE_WORKS, "0003", (GLOBAL_READER, DIRECTORY_READERS), "active", timedelta(days=6)),
        made(demo.TAILSPIN, "0004", support, "expired", timedelta(days=-10)),
    ]


@dataclass
class GdapBook:
    """The partner's relationships, and whether its app holds DelegatedAdminRelationship.Read.All."""

    relationships: list[GdapRelationship] = field(default_factory=lambda: demo_relationships(datetime.now(UTC)))
    permission_granted: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)

    def all(self) -> list[GdapRelationship]:
        """A copy of every relationship."""
        with self.lock:
            return list(self.relationships)

    def replace_all(self, relationships: list[GdapRelationship]) -> None:
        """Set the partner's relationships (tests, the control route)."""
        with self.lock:
            self.relationships = list(relationships)

    def change(self, relationship_id: str, **changes: Any) -> GdapRelationship:
        """Change one relationship's fields (status, end, auto_extend...); KeyError when unknown."""
        with self.lock:
            for index, found in enumerate(self.relationships):
                if found.id == relationship_id:
                    self.relationships[index] = replace(found, **changes)
                    return self.relationships[index]
        raise KeyError(relationship_id)
