"""Identifier: who is a technician, a customer's user, or a stranger."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from desk.customers import Customer, CustomerDirectory
from desk.people import Identifier, Member, Person, Role

PARTNER_TENANT = "5f1a0c2e-7b1d-4c55-9a4e-3c2b1d0e9f01"
FABRIKAM = Customer("9c4e2b7a-3d1f-4a8e-b6c5-2f0e1d3c4b01", "Fabrikam, Inc.", ("fabrikam.onmicrosoft.com",))
UNKNOWN_TENANT = "0f0e0d0c-0b0a-4909-8807-060504030201"
ALEX = "0b6f3d2a-1c4e-4f5a-8b7c-9d0e1f2a3b01"
DIEGO = "0b6f3d2a-1c4e-4f5a-8b7c-9d0e1f2a3b02"
MEGAN = "7d2c1b0a-9e8f-4d6c-a5b4-3c2d1e0f9a01"


class Lookup:
    """A member lookup that counts its calls."""

    def __init__(self, member: Member | None = None) -> None:
        self.member = member
        self.calls = 0

    async def __call__(self) -> Member:
        self.calls += 1
        if self.member is None:
            raise AssertionError("the member lookup should not have been called")
        return self.member


def identifier(technicians: frozenset[str] = frozenset()) -> Identifier:
    """An identifier for the demo partner with one customer, Fabrikam."""

    async def source() -> Sequence[Customer]:
        return [FABRIKAM]

    return Identifier(PARTNER_TENANT, technicians, CustomerDirectory(source, monotonic=lambda: 0.0))


async def resolve(who: Identifier, tenant: str, aad_id: str, lookup: Lookup, personal: bool = True) -> Person:
    """Resolve a user called "Test User" (in a one-to-one chat unless told otherwise)."""
    return await who.resolve(tenant, aad_id, "Test User", lookup, personal=personal)


def partner_member(email: str, role: str = "user") -> Member:
    """A roster entry of an account of the partner tenant."""
    return Member(email, role, PARTNER_TENANT)


async def test_partner_member_is_a_technician_when_no_list_is_configured() -> None:
    lookup = Lookup(partner_member("alex@contosocloud.onmicrosoft.com"))

    person = await resolve(identifier(), PARTNER_TENANT, ALEX, lookup)

    assert person.role is Role.TECHNICIAN
    assert person.is_technician
    assert person.email == "alex@contosocloud.onmicrosoft.com"
    assert lookup.calls == 1


async def test_partner_tenant_id_is_compared_case_insensitively() -> None:
    lookup = Lookup(Member("a@b.c", "user", PARTNER_TENANT.upper()))

    person = await resolve(identifier(), PARTNER_TENANT.upper(), ALEX.upper(), lookup)

    assert person.role is Role.TECHNICIAN
    assert person.aad_id == ALEX
    assert person.tenant_id == PARTNER_TENANT


async def test_guest_in_the_partner_tenant_from_a_customer_is_that_customer() -> None:
    lookup = Lookup(partner_member("megan@fabrikam.onmicrosoft.com", "guest"))

    person = await resolve(identifier(), PARTNER_TENANT, MEGAN, lookup)

    assert person.role is Role.CUSTOMER
    assert person.customer == FABRIKAM
    assert not person.is_technician


async def test_guest_in_the_partner_tenant_from_elsewhere_is_a_stranger() -> None:
    lookup = Lookup(partner_member("someone@gmail.example", "guest"))

    person = await resolve(identifier(), PARTNER_TENANT, MEGAN, lookup)

    assert person.role is Role.STRANGER
    assert person.customer is None


async def test_partner_member_whose_lookup_failed_is_not_a_technician() -> None:
    person = await resolve(identifier(), PARTNER_TENANT, ALEX, Lookup(Member("", "unknown")))

    assert person.role is Role.STRANGER
    assert not person.is_technician


async def test_listed_technician_is_recognised_without_a_member_lookup() -> None:
    lookup = Lookup()  # raises if called

    person = await resolve(identifier(frozenset({ALEX})), PARTNER_TENANT, ALEX.upper(), lookup)

    assert person.role is Role.TECHNICIAN
    assert lookup.calls == 0


async def test_with_a_list_other_partner_members_are_not_technicians() -> None:
    lookup = Lookup(partner_member("diego@contosocloud.onmicrosoft.com"))

    person = await resolve(identifier(frozenset({ALEX})), PARTNER_TENANT, DIEGO, lookup)

    assert person.role is Role.STRANGER
    assert lookup.calls == 1


async def test_listed_id_from_another_tenant_is_not_a_technician() -> None:
    # TECHNICIANS lists object ids of the partner tenant; the same id arriving from a stranger tenant counts nothing.
    person = await resolve(identifier(frozenset({ALEX})), UNKNOWN_TENANT, ALEX, Lookup(Member("x@y.example", "user")))

    assert person.role is Role.STRANGER


async def test_customer_by_tenant_needs_no_member_lookup() -> None:
    lookup = Lookup()

    person = await resolve(identifier(), FABRIKAM.tenant_id.upper(), MEGAN, lookup)

    assert person.role is Role.CUSTOMER
    assert person.customer == FABRIKAM
    assert lookup.calls == 0


async def test_a_customer_address_from_an_unknown_tenant_proves_nothing() -> None:
    # That tenant's admin can type any address into a user's mail attribute; the roster repeats it unchecked.
    lookup = Lookup(Member("megan@fabrikam.onmicrosoft.com", "user"))

    person = await resolve(identifier(), UNKNOWN_TENANT, MEGAN, lookup)

    assert person.role is Role.STRANGER
    assert person.customer is None
    assert lookup.calls == 0, "no roster lookup for a tenant that is neither the partner's nor a customer's"


@pytest.mark.parametrize("tenant", [UNKNOWN_TENANT, ""])
async def test_stranger_otherwise(tenant: str) -> None:
    person = await resolve(identifier(), tenant, MEGAN, Lookup(Member("wanda@woodgrovebank.onmicrosoft.com", "user")))

    assert person.role is Role.STRANGER
    assert person.customer is None


async def test_user_without_an_object_id_is_a_stranger() -> None:
    lookup = Lookup()

    person = await resolve(identifier(), PARTNER_TENANT, "", lookup)

    assert person.role is Role.STRANGER
    assert lookup.calls == 0


WOODGROVE = UNKNOWN_TENANT


@pytest.mark.parametrize("personal", [True, False])
@pytest.mark.parametrize("home", [WOODGROVE, FABRIKAM.tenant_id, ""], ids=["stranger", "customer", "unknown"])
async def test_partner_conversation_member_of_another_tenant_is_never_a_technician(home: str, personal: bool) -> None:
    # In the partner's shared channel Teams stamps the partner's tenant on an external member's activity; only the
    # roster says where the account lives ('' when it did not say).
    lookup = Lookup(Member("wanda@woodgrovebank.onmicrosoft.com", "user", home))

    person = await resolve(identifier(), PARTNER_TENANT, MEGAN, lookup, personal=personal)

    assert person.role is Role.STRANGER
    assert person.customer is None


async def test_external_member_with_a_customers_address_is_not_that_customers_guest() -> None:
    lookup = Lookup(Member("megan@fabrikam.onmicrosoft.com", "guest", FABRIKAM.tenant_id))

    person = await resolve(identifier(), PARTNER_TENANT, MEGAN, lookup, personal=False)

    assert person.role is Role.STRANGER


async def test_partner_member_with_a_customers_address_is_no_customer() -> None:
    # Only guests are matched by address: the partner invited them with it.
    lookup = Lookup(partner_member("megan@fabrikam.onmicrosoft.com", "user"))

    person = await resolve(identifier(frozenset({ALEX})), PARTNER_TENANT, DIEGO, lookup)

    assert person.role is Role.STRANGER


async def test_customer_in_a_shared_conversation_is_confirmed_by_the_roster() -> None:
    lookup = Lookup(Member("megan@fabrikam.onmicrosoft.com", "user", FABRIKAM.tenant_id.upper()))

    person = await resolve(identifier(), FABRIKAM.tenant_id, MEGAN, lookup, personal=False)

    assert person.role is Role.CUSTOMER
    assert person.customer == FABRIKAM
    assert lookup.calls == 1


@pytest.mark.parametrize("home", [WOODGROVE, PARTNER_TENANT, ""], ids=["stranger", "partner", "unknown"])
async def test_external_member_of_a_customers_shared_conversation_is_not_that_customer(home: str) -> None:
    lookup = Lookup(Member("someone@example.com", "user", home))

    person = await resolve(identifier(frozenset({ALEX})), FABRIKAM.tenant_id, ALEX, lookup, personal=False)

    assert person.role is Role.STRANGER
    assert person.customer is None


async def test_listed_technician_needs_no_lookup_in_a_shared_conversation_either() -> None:
    # A listed object id is an account of the partner tenant: an external member's account has an id of its own.
    person = await resolve(identifier(frozenset({ALEX})), PARTNER_TENANT, ALEX, Lookup(), personal=False)

    assert person.role is Role.TECHNICIAN


def test_a_customers_tickets_belong_to_the_customers_tenant_whatever_tenant_they_write_from() -> None:
    guest = Person(Role.CUSTOMER, MEGAN, "Megan", PARTNER_TENANT, "megan@fabrikam.onmicrosoft.com", FABRIKAM)
    technician = Person(Role.TECHNICIAN, ALEX, "Alex", PARTNER_TENANT)

    assert guest.customer_tenant_id == FABRIKAM.tenant_id
    assert technician.customer_tenant_id == ""
