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
    """What the Teams roster tells us about a user beyond the activity: e-mail, role in the tenant (user, guest;
    unknown when the lookup failed) and the tenant the user's account lives in ('' when unknown)."""

    email: str = ""
    user_role: str = "unknown"
    tenant_id: str = ""


@dataclass(frozen=True)
class Person:
    """A resolved user. `tenant_id` is the tenant of the conversation they wrote in (their own, once resolved)."""

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

    @property
    def customer_tenant_id(self) -> str:
        """The tenant this person's tickets belong to: their customer's ('' for anyone who is not a customer). A
        customer's guest in the partner's tenant writes from the partner's tenant, but is served as the customer."""
        return self.customer.tenant_id if self.customer else ""


MemberLookup = Callable[[], Awaitable[Member]]


class Identifier:
    """Resolves the role of a user from their tenant, object id and (when needed) their roster entry."""

    def __init__(self, partner_tenant_id: str, technicians: frozenset[str], customers: CustomerDirectory) -> None:
        self._partner_tenant = partner_tenant_id.lower()
        self._technicians = technicians
        self._customers = customers

    async def resolve(
        self, tenant_id: str, aad_id: str, name: str, member: MemberLookup, personal: bool = False
    ) -> Person:
        """Resolve a user writing in a conversation of `tenant_id`; `member` is called only when the roster is
        needed. `personal` says the conversation is a one-to-one chat with the bot, whose tenant is the user's own
        (Teams has no apps in one-to-one chats with external users); a channel or group chat carries its host's
        tenant whoever writes, so there the roster must confirm that the sender's account lives in it."""
        tenant = (tenant_id or "").lower()
        aad = (aad_id or "").lower()
        if not aad or not tenant:
            return Person(Role.STRANGER, aad, name, tenant)
        if tenant == self._partner_tenant:
            return await self._partner_side(aad, name, tenant, member)
        customer = await self._customers.by_tenant(tenant)
        if customer is None:
            # Another tenant's roster e-mail is whatever that tenant's admin typed into the mail attribute, so it
            # is no proof of belonging to a customer; only the partner's own guests are matched by address.
            return Person(Role.STRANGER, aad, name, tenant)
        if not personal and (await member()).tenant_id.lower() != tenant:
            # An external member of the customer's shared channel (or federated group chat), or one whose tenant
            # the roster could not confirm.
            return Person(Role.STRANGER, aad, name, tenant)
        return Person(Role.CUSTOMER, aad, name, tenant, "", customer)

    async def _partner_side(self, aad: str, name: str, tenant: str, member: MemberLookup) -> Person:
        if aad in self._technicians:
            # Listed object ids are accounts of the partner tenant; an external member's account has its own id.
            return Person(Role.TECHNICIAN, aad, name, tenant)
        details = await member()
        if details.tenant_id.lower() != tenant:
            # An external member of the partner's shared channel (whatever their own tenant is), or a member whose
            # tenant the roster could not confirm: neither a technician nor one of the partner's guests.
            return Person(Role.STRANGER, aad, name, tenant, details.email)
        # With no TECHNICIANS list every member of the partner tenant counts, but not its guests, and not
        # anyone whose membership could not be confirmed.
        if not self._technicians and details.user_role == "user":
            return Person(Role.TECHNICIAN, aad, name, tenant, details.email)
        return await self._by_email(aad, name, tenant, details)

    async def _by_email(self, aad: str, name: str, tenant: str, details: Member) -> Person:
        # Only the partner's guests are matched by address: the partner's admin invited them with that address.
        customer = await self._customers.by_email(details.email) if details.email else None
        if customer and details.user_role == "guest":
            return Person(Role.CUSTOMER, aad, name, tenant, details.email, customer)
        return Person(Role.STRANGER, aad, name, tenant, details.email)
