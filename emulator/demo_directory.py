"""Demo directory and Teams data for onboarding (issue 16): the customers' people and groups, the desk's app in
their org app catalogs.

Fabrikam: twelve people (the six of emulator/demo.py and six more) in three groups, the desk's app in its org
catalog, nobody has it installed yet (issue 16's demo: readiness shows 0 installs, then a roll-out to "Fabrikam
Finance" reaches Megan Bowen, the customer playground's user; emulator/local.py). Northwind: its people, no group,
the desk's app NOT in its catalog. Tailspin has no consent at all (emulator/state.py), so none of this is reachable
there."""

from __future__ import annotations

from dataclasses import dataclass

from emulator import demo

# The desk's Teams app manifest id (the catalog's `externalId`) and the id Fabrikam's catalog gave it.
DESK_MANIFEST_ID = "3f7c2a1e-8d4b-4f6a-9c2e-1b0d3e5f7a90"  # the desk passes its own (TEAMS_APP_ID) when it differs
DESK_APP_NAME = "Partner Desk"
FABRIKAM_DESK_APP_ID = "b1c5353a-7aca-41b3-830f-27d5218fe0e5"


@dataclass(frozen=True)
class DirectoryUser:
    """A user object of a tenant's directory."""

    id: str
    display_name: str
    mail: str
    user_principal_name: str
    account_enabled: bool = True


@dataclass(frozen=True)
class DirectoryGroup:
    """A group and the ids of its direct members (users or groups)."""

    id: str
    display_name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class CatalogApp:
    """A teamsApp of a tenant's catalog."""

    id: str
    external_id: str
    display_name: str
    distribution_method: str = "organization"
    version: str = "1.0.0"


def _from_demo(tenant: demo.DemoTenant) -> list[DirectoryUser]:
    return [DirectoryUser(u.aad_id, u.name, u.email, u.email) for u in tenant.users]


_FABRIKAM_MORE = (
    ("Nestor", "Wilke"), ("Patti", "Fernandez"), ("Pradeep", "Gupta"),
    ("Alex", "Wilber"), ("Debra", "Berger"), ("Isaiah", "Langer"),
)  # fmt: skip


def fabrikam_users() -> list[DirectoryUser]:
    """Twelve people; Isaiah Langer's account is disabled (a leaver)."""
    domain = demo.FABRIKAM.domain
    more = [
        DirectoryUser(
            f"7d2c1b0a-9e8f-4d6c-a5b4-3c2d1e0f9a{index + 7:02d}",
            f"{given} {surname}",
            f"{given.lower()}@{domain}",
            f"{given.lower()}@{domain}",
            account_enabled=surname != "Langer",
        )
        for index, (given, surname) in enumerate(_FABRIKAM_MORE)
    ]
    return _from_demo(demo.FABRIKAM) + more


def fabrikam_groups(users: list[DirectoryUser]) -> list[DirectoryGroup]:
    """ "Fabrikam Finance" (5 people), "Fabrikam Sales" (4, one of them through the nested "Sales Leads")."""
    ids = [user.id for user in users]
    leads = DirectoryGroup("5a1d7c3e-0b2f-4e6a-9d8c-1f2e3d4c5b03", "Fabrikam Sales Leads", (ids[9],))
    return [
        DirectoryGroup("5a1d7c3e-0b2f-4e6a-9d8c-1f2e3d4c5b01", "Fabrikam Finance", tuple(ids[0:5])),
        DirectoryGroup("5a1d7c3e-0b2f-4e6a-9d8c-1f2e3d4c5b02", "Fabrikam Sales", (*ids[5:8], leads.id)),
        leads,
    ]


def demo_directory() -> tuple[dict[str, list[DirectoryUser]], dict[str, list[DirectoryGroup]]]:
    """Users and groups per tenant id."""
    fabrikam = fabrikam_users()
    users = {demo.FABRIKAM.tenant_id: fabrikam, demo.NORTHWIND.tenant_id: _from_demo(demo.NORTHWIND)}
    return users, {demo.FABRIKAM.tenant_id: fabrikam_groups(fabrikam)}


def demo_catalogs() -> dict[str, list[CatalogApp]]:
    """Org app catalogs per tenant id: the desk's app in Fabrikam's only."""
    return {demo.FABRIKAM.tenant_id: [CatalogApp(FABRIKAM_DESK_APP_ID, DESK_MANIFEST_ID, DESK_APP_NAME)]}
