"""Demo tenants for local mode and tests: one partner, a few customers, the people who use the playground."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class DemoUser:
    """A person of a demo tenant."""

    aad_id: str
    name: str
    email: str
    given_name: str
    surname: str


@dataclass(frozen=True)
class DemoTenant:
    """A demo tenant and its people."""

    tenant_id: str
    name: str
    domain: str
    users: tuple[DemoUser, ...] = field(default_factory=tuple)
    country: str = "US"


def _user(aad_id: str, given: str, surname: str, domain: str) -> DemoUser:
    return DemoUser(aad_id, f"{given} {surname}", f"{given.lower()}@{domain}", given, surname)


PARTNER = DemoTenant(
    tenant_id="5f1a0c2e-7b1d-4c55-9a4e-3c2b1d0e9f01",
    name="Contoso Cloud Services",
    domain="contosocloud.onmicrosoft.com",
    users=(
        _user("0b6f3d2a-1c4e-4f5a-8b7c-9d0e1f2a3b01", "Alex", "Wilber", "contosocloud.onmicrosoft.com"),
        _user("0b6f3d2a-1c4e-4f5a-8b7c-9d0e1f2a3b02", "Diego", "Siciliani", "contosocloud.onmicrosoft.com"),
        _user("0b6f3d2a-1c4e-4f5a-8b7c-9d0e1f2a3b03", "Isaiah", "Langer", "contosocloud.onmicrosoft.com"),
        _user("0b6f3d2a-1c4e-4f5a-8b7c-9d0e1f2a3b04", "Johanna", "Lorenz", "contosocloud.onmicrosoft.com"),
        _user("0b6f3d2a-1c4e-4f5a-8b7c-9d0e1f2a3b05", "Lidia", "Holloway", "contosocloud.onmicrosoft.com"),
        _user("0b6f3d2a-1c4e-4f5a-8b7c-9d0e1f2a3b06", "Miriam", "Graham", "contosocloud.onmicrosoft.com"),
    ),
)

FABRIKAM = DemoTenant(
    tenant_id="9c4e2b7a-3d1f-4a8e-b6c5-2f0e1d3c4b01",
    name="Fabrikam, Inc.",
    domain="fabrikam.onmicrosoft.com",
    users=(
        _user("7d2c1b0a-9e8f-4d6c-a5b4-3c2d1e0f9a01", "Megan", "Bowen", "fabrikam.onmicrosoft.com"),
        _user("7d2c1b0a-9e8f-4d6c-a5b4-3c2d1e0f9a02", "Adele", "Vance", "fabrikam.onmicrosoft.com"),
        _user("7d2c1b0a-9e8f-4d6c-a5b4-3c2d1e0f9a03", "Grady", "Archie", "fabrikam.onmicrosoft.com"),
        _user("7d2c1b0a-9e8f-4d6c-a5b4-3c2d1e0f9a04", "Henrietta", "Mueller", "fabrikam.onmicrosoft.com"),
        _user("7d2c1b0a-9e8f-4d6c-a5b4-3c2d1e0f9a05", "Lee", "Gu", "fabrikam.onmicrosoft.com"),
        _user("7d2c1b0a-9e8f-4d6c-a5b4-3c2d1e0f9a06", "Joni", "Sherman", "fabrikam.onmicrosoft.com"),
    ),
)

NORTHWIND = DemoTenant(
    tenant_id="2e8d4f6a-5b3c-4e1d-9f7a-6b5c4d3e2f01",
    name="Northwind Traders",
    domain="northwindtraders.onmicrosoft.com",
    users=(_user("3a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c01", "Nestor", "Wilke", "northwindtraders.onmicrosoft.com"),),
    country="GB",
)

ADVENTURE_WORKS = DemoTenant(
    tenant_id="8b1c3d5e-7f9a-4b2c-8d4e-6f8a0b2c4d01",
    name="Adventure Works Cycles",
    domain="adventureworks.onmicrosoft.com",
    users=(_user("4b0c9d8e-7f6a-4b5c-9d3e-2f1a0b9c8d01", "Patti", "Fernandez", "adventureworks.onmicrosoft.com"),),
    country="DE",
)

TAILSPIN = DemoTenant(
    tenant_id="6d3f5a7b-9c1e-4d3f-a5b7-8c9d0e1f2a01",
    name="Tailspin Toys",
    domain="tailspintoys.onmicrosoft.com",
    users=(_user("5c1d0e9f-8a7b-4c6d-8e4f-3a2b1c0d9e01", "Pradeep", "Gupta", "tailspintoys.onmicrosoft.com"),),
)

CUSTOMERS = (FABRIKAM, NORTHWIND, ADVENTURE_WORKS, TAILSPIN)
# A tenant that is nobody's customer, for refusal scenarios.
STRANGER = DemoTenant(
    tenant_id="0f0e0d0c-0b0a-4909-8807-060504030201",
    name="Woodgrove Bank",
    domain="woodgrovebank.onmicrosoft.com",
    users=(_user("1e2d3c4b-5a69-4788-9766-554433221101", "Wanda", "Stranger", "woodgrovebank.onmicrosoft.com"),),
)
# The partner's app registration in the emulator (any secret but this one is refused).
APP_ID = "3f7c2a1e-8d4b-4f6a-9c2e-1b0d3e5f7a90"
APP_SECRET = "local-emulator-secret"


@dataclass(frozen=True)
class DemoIssue:
    """A service-health incident or advisory, shared by the tenants it affects (the same id in each)."""

    id: str
    title: str
    service: str
    feature: str
    classification: str  # "Incident" | "Advisory", as Graph spells it
    status: str  # a serviceHealthStatus, PascalCase as Graph's samples show
    impact: str
    start: datetime
    tenants: tuple[str, ...]
    posts: tuple[tuple[datetime, str], ...] = ()  # (created, HTML content)
    resolved: bool = False
    end: datetime | None = None
    last_modified: datetime | None = None  # the emulator's state sets it on every change
    feature_group: str = ""


@dataclass(frozen=True)
class DemoMessage:
    """A Message center announcement shown to the listed tenants."""

    id: str
    title: str
    category: str  # StayInformed | PlanForChange | PreventOrFixIssue
    severity: str  # Normal | High | Critical
    services: tuple[str, ...]
    body: str  # HTML
    start: datetime
    last_modified: datetime
    tenants: tuple[str, ...]
    action_required_by: datetime | None = None
    is_major_change: bool = False
    tags: tuple[str, ...] = ()
    end: datetime | None = None


# Microsoft Support's progress on every service request in local-mode demos (EmulatorState.sr_script; tests leave
# it empty): (seconds after filing, note by Microsoft or None, new status or None).
SR_SCRIPT: tuple[tuple[float, str | None, str | None], ...] = (
    (30, "A Microsoft support engineer has been assigned and is reviewing the request.", "open"),
    (
        90,
        "Please upload the message trace or logs that show the problem, with the times (UTC) and the affected "
        "users, so that we can continue the investigation.",
        "attention_needed",
    ),
)
