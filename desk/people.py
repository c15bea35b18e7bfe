"""Who is who: technicians of the partner, users of its customers, and everyone else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from desk.customers import Customer, CustomerDirectory


class Role(StrEnum):
    """What a person may do with the desk."""

    TECHNICIAN = "technician"
    CUSTOMER = "customer"
    STRANGER = "stranger"


@dataclass(frozen=True)
class Member:
    """What Teams tells us about a user beyond the activity: e-mail and tenant role (user, guest; unknown when
    the lookup failed)."""

    email: str = ""
    user_role: str = "unknown"


@dataclass(frozen=True)
class Person:
    """A resolved user."""

    role: Role
    aad_id: str
    name: str
    tenant_id: str
    email: str = ""
    customer: Customer | None = None

    @property
    def is_technician(self) -> bool:
        """Whether this person works on tickets."""
        return self.role is Role.TECHNICIAN


MemberLookup = Callable[[], Awaitable[Member]]


class Identifier:
    """Resolves the role of a user from their tenant, object id and (when needed) their e-mail domain."""

    def __init__(self, partner_tenant_id: str, technicians: frozenset[str], customers: CustomerDirectory) -> None:
        self._partner_tenant = partner_tenant_id.lower()
        self._technicians = technicians
        self._customers = customers

    async def resolve(self, tenant_id: str, aad_id: str, name: str, member: MemberLookup) -> Person:
        """Resolve a user; `member` is called only when the e-mail or guest status is needed."""
        tenant = (tenant_id or "").lower()
        aad = (aad_id or "").lower()
        if not aad:
            return Person(Role.STRANGER, aad, name, tenant)
        if tenant and tenant == self._partner_tenant:
            if aad in self._technicians:
                return Person(Role.TECHNICIAN, aad, name, tenant)
            details = await member()
            # With no TECHNICIANS list every member of the partner tenant counts, but not its guests, and not
            # anyone whose membership could not be confirmed.
            if not self._technicians and details.user_role == "user":
                return Person(Role.TECHNICIAN, aad, name, tenant, details.email)
            return await self._by_email(aad, name, tenant, details.email)
        customer = await self._customers.by_tenant(tenant) if tenant else None
        if customer:
            return Person(Role.CUSTOMER, aad, name, tenant, "", customer)
        # Another tenant's roster e-mail is whatever that tenant's admin typed into the mail attribute, so it is
        # no proof of belonging to a customer; only the partner's own guests are matched by address (above).
        return Person(Role.STRANGER, aad, name, tenant)

    async def _by_email(self, aad: str, name: str, tenant: str, email: str) -> Person:
        customer = await self._customers.by_email(email) if email else None
        if customer:
            return Person(Role.CUSTOMER, aad, name, tenant, email, customer)
        return Person(Role.STRANGER, aad, name, tenant, email)
