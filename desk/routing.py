"""Triage routes: which channel a new ticket's card goes to. Pure rules, no I/O (the store is desk/store/routes.py).

A route sends the tickets of one customer, one product or one severity to a channel; the default triage channel
(`triage here`) takes the rest. The most specific route wins: customer, then product, then severity."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from desk.customers import Customer
from desk.tickets import Product, Severity, Ticket


class RouteKind(StrEnum):
    """What a route matches on, most specific first (the order routing tries them)."""

    CUSTOMER = "customer"  # value: the customer's tenant id
    PRODUCT = "product"  # value: a ROUTE_PRODUCTS key
    SEVERITY = "severity"  # value: a Severity (only "critical" is offered)


# Route product keys: the ticket form's product families, plus billing, which the form has no family for: a ticket
# is a billing one when its service names billing (the form's free-text "service" field), whatever its family.
BILLING = "billing"
ROUTE_PRODUCTS = (Product.M365.value, Product.AZURE.value, Product.DYNAMICS.value, BILLING)
# Words a service field names billing with (whole words, case-insensitive; both locales' customers).
BILLING_WORDS = frozenset({"billing", "invoice", "invoices", "invoicing", "биллинг", "счёт", "счет", "счета"})
# How technicians name the products after `triage here for` (whole phrases, case- and space-insensitive).
PRODUCT_NAMES = {
    "microsoft 365": Product.M365.value,
    "m365": Product.M365.value,
    "office 365": Product.M365.value,
    "azure": Product.AZURE.value,
    "dynamics 365": Product.DYNAMICS.value,
    "dynamics": Product.DYNAMICS.value,
    "billing": BILLING,
}
CRITICAL_NAMES = frozenset({"critical"})


@dataclass(frozen=True)
class Route:
    """A stored route: tickets matching `kind`/`value` go to the channel `channel_key` (its Teams name, when Teams
    told it, in `channel_name`). `label` is what technicians called the matched thing (a customer's name)."""

    id: str
    kind: RouteKind
    value: str
    label: str
    channel_key: str
    channel_name: str | None = None


@dataclass(frozen=True)
class RouteTarget:
    """What `triage here for …` names: a route's kind, value and label (without a channel yet)."""

    kind: RouteKind
    value: str
    label: str


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def keyword_target(words: str) -> RouteTarget | None:
    """The product or severity the words name exactly (the whole argument), or None."""
    wanted = _normal(words)
    if wanted in PRODUCT_NAMES:
        return RouteTarget(RouteKind.PRODUCT, PRODUCT_NAMES[wanted], PRODUCT_NAMES[wanted])
    if wanted in CRITICAL_NAMES:
        return RouteTarget(RouteKind.SEVERITY, Severity.CRITICAL.value, Severity.CRITICAL.value)
    return None


def inside_a_word(words: str, customer: Customer) -> bool:
    """Whether `words` name `customer` only by a piece inside a word of its name (desk.health.match_customers' last
    tier): not its name, tenant id or a domain, nor the start of its name, a word of it or a domain."""
    wanted = " ".join(words.casefold().replace(",", " ").split())
    name = " ".join(customer.name.casefold().replace(",", " ").split())
    domains = [domain.casefold() for domain in customer.domains]
    whole = name.startswith(wanted) or customer.tenant_id.casefold() == wanted
    starts = any(word.startswith(wanted) for word in name.split()) or any(d.startswith(wanted) for d in domains)
    return not (whole or starts)


def is_billing(ticket: Ticket) -> bool:
    """Whether the ticket's service names billing (a whole word)."""
    return any(word in BILLING_WORDS for word in re.findall(r"\w+", ticket.fields.service.casefold()))


def matches(route: Route, ticket: Ticket) -> bool:
    """Whether `route` takes `ticket`."""
    if route.kind is RouteKind.CUSTOMER:
        return route.value == ticket.requester.tenant_id.lower()
    if route.kind is RouteKind.PRODUCT:
        return is_billing(ticket) if route.value == BILLING else route.value == ticket.fields.product.value
    return route.value == ticket.fields.severity.value


def route_for(routes: Sequence[Route], ticket: Ticket) -> Route | None:
    """The most specific route that takes `ticket`: its customer's, then billing's (a billing question goes to the
    billing people whatever the product family), then its product family's, then its severity's; None: the default
    channel takes it."""

    def rank(route: Route) -> tuple[int, int]:
        billing_first = 0 if route.value == BILLING else 1
        return list(RouteKind).index(route.kind), billing_first

    found = sorted((route for route in routes if matches(route, ticket)), key=rank)
    return found[0] if found else None
