"""Service health across customers: reading each tenant (bounded concurrency, a failure stays that tenant's),
merging the same incident seen in several tenants, matching customers by forgiving names, and relating a
ticket's service to an active incident. The Graph client is passed in; nothing here imports it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from desk.customers import Customer
from msapi.errors import ConsentMissing, MicrosoftApiError

logger = logging.getLogger(__name__)
SWEEP_CONCURRENCY = 16


class HealthReader(Protocol):
    """What the desk needs from Microsoft Graph's service communications API."""

    async def health_overviews(self, tenant_id: str) -> list[Any]:
        """Each service and its status."""
        ...

    async def issues(self, tenant_id: str, open_only: bool = True) -> list[Any]:
        """Incidents and advisories."""
        ...


@dataclass(frozen=True)
class TenantHealth:
    """One customer's services and open issues, or why they could not be read."""

    customer: Customer
    services: list[Any] = field(default_factory=list)
    issues: list[Any] = field(default_factory=list)
    error: Exception | None = None

    @property
    def degraded(self) -> list[Any]:
        """Services not running normally."""
        return [service for service in self.services if not service.healthy]


@dataclass(frozen=True)
class SharedIssue:
    """One incident or advisory, with every customer it affects (the same id in several tenants is one issue)."""

    issue: Any
    customers: tuple[Customer, ...]


@dataclass(frozen=True)
class Sweep:
    """The result of reading every customer."""

    tenants: list[TenantHealth]

    @property
    def unreadable(self) -> list[TenantHealth]:
        """Customers whose health could not be read."""
        return [tenant for tenant in self.tenants if tenant.error is not None]

    @property
    def issues(self) -> list[SharedIssue]:
        """Open issues merged across tenants, most widespread first, newest change first within that."""
        merged: dict[str, tuple[Any, list[Customer]]] = {}
        for tenant in self.tenants:
            for issue in tenant.issues:
                newest, customers = merged.get(issue.id, (issue, []))
                if (issue.last_modified or 0) and (
                    not newest.last_modified or issue.last_modified > newest.last_modified
                ):
                    newest = issue
                merged[issue.id] = (newest, [*customers, tenant.customer])
        shared = [SharedIssue(issue, tuple(customers)) for issue, customers in merged.values()]
        return sorted(shared, key=lambda s: (-len(s.customers), s.issue.id))


def _newer(issue: Any, than: Any) -> bool:
    if issue.last_modified is None:
        return False
    return than.last_modified is None or issue.last_modified > than.last_modified


Progress = Callable[[int, int], Awaitable[None]]


class HealthBoard:
    """Reads customers' health through `reader`, caching each tenant briefly so commands and the monitor share
    Graph's budget (240 requests a minute, 800 an hour, per tenant)."""

    def __init__(self, reader: HealthReader, ttl: float = 60, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._reader = reader
        self._ttl = ttl
        self._now = monotonic
        self._cache: dict[str, tuple[float, TenantHealth]] = {}

    async def tenant(self, customer: Customer, fresh: bool = False) -> TenantHealth:
        """One customer's health; errors are returned in the result (shown as "could not read"), not raised:
        Microsoft API errors as such, anything else logged as a bug."""
        cached = self._cache.get(customer.tenant_id)
        if cached and not fresh and self._now() - cached[0] < self._ttl:
            return cached[1]
        try:
            services, issues = await asyncio.gather(
                self._reader.health_overviews(customer.tenant_id), self._reader.issues(customer.tenant_id)
            )
            result = TenantHealth(customer, list(services), list(issues))
        except ConsentMissing as error:
            # Expected until the partner grants consent, and the answer says what to grant: no traceback every round.
            logger.warning("could not read service health of %s: %s", customer.name, error)
            return TenantHealth(customer, error=error)
        except MicrosoftApiError as error:  # one tenant's failure is reported as "could not read", never fails a sweep
            logger.exception("could not read service health of %s", customer.name)
            return TenantHealth(customer, error=error)
        except Exception as error:
            # A bug (say, a payload shape we did not expect from one tenant) must not take the other 299 customers'
            # health down with it; it is logged as a bug, with its traceback.
            logger.exception("bug while reading service health of %s", customer.name)
            return TenantHealth(customer, error=error)
        self._cache[customer.tenant_id] = (self._now(), result)
        return result

    async def sweep(
        self, customers: Sequence[Customer], progress: Progress | None = None, fresh: bool = False
    ) -> Sweep:
        """Every customer's health, read SWEEP_CONCURRENCY at a time; `progress(done, total)` after each."""
        limit = asyncio.Semaphore(SWEEP_CONCURRENCY)
        done = 0

        async def one(customer: Customer) -> TenantHealth:
            nonlocal done
            async with limit:
                result = await self.tenant(customer, fresh=fresh)
            done += 1
            if progress is not None:
                await progress(done, len(customers))
            return result

        return Sweep(list(await asyncio.gather(*(one(customer) for customer in customers))))


def match_customers(query: str, customers: Sequence[Customer]) -> list[Customer]:
    """Customers a technician probably means: exact name, then name prefix, word prefix, domain, tenant id."""
    wanted = " ".join(query.casefold().replace(",", " ").split())
    if not wanted:
        return []
    tiers: list[list[Customer]] = [[], [], [], []]
    for customer in customers:
        name = " ".join(customer.name.casefold().replace(",", " ").split())
        domains = [d.casefold() for d in customer.domains]
        if name == wanted or customer.tenant_id == wanted or wanted in domains:
            tiers[0].append(customer)
        elif name.startswith(wanted):
            tiers[1].append(customer)
        elif any(word.startswith(wanted) for word in name.split()) or any(d.startswith(wanted) for d in domains):
            tiers[2].append(customer)
        elif wanted in name:
            tiers[3].append(customer)
    return next((tier for tier in tiers if tier), [])


# Words in service names that say nothing about which service it is.
GENERIC_WORDS = frozenset({"microsoft", "online", "365", "for", "business", "suite", "service", "services"})
# Words customers use for a service, mapped to words in Microsoft's service names.
SERVICE_WORDS = {
    "exchange": ("exchange", "outlook", "mail", "email", "e-mail", "mailbox", "почта"),
    "teams": ("teams", "meeting", "call", "chat"),
    "sharepoint": ("sharepoint", "site", "intranet"),
    "onedrive": ("onedrive", "files"),
    "entra": ("entra", "sign-in", "signin", "login", "mfa", "password", "azure ad"),
    "intune": ("intune", "device", "compliance"),
    "power bi": ("power bi", "powerbi", "report"),
}


def related_issues(service_typed: str, issues: Sequence[Any]) -> list[Any]:
    """Active issues whose service matches what the customer typed as the affected service."""
    typed = service_typed.casefold()
    found = []
    for issue in issues:
        service = f"{issue.service} {issue.feature or ''}".casefold()
        names = [word for word in service.split() if len(word) > 3 and word not in GENERIC_WORDS]
        if typed and (typed in service or any(word in typed for word in names)):
            found.append(issue)
            continue
        for key, words in SERVICE_WORDS.items():
            if key in service and any(word in typed for word in words):
                found.append(issue)
                break
    return found
