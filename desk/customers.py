"""The partner's customers, as Partner Center lists them, cached and looked up by tenant or e-mail domain."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Customer:
    """A customer tenant the partner supports."""

    tenant_id: str
    name: str
    domains: tuple[str, ...]
    # Partner Center's `relationshipToPartner` (reseller, advisor, ...) and `associatedPartnerId` (the indirect
    # reseller, set by indirect providers only): Customer.RelationshipToPartner / Customer.AssociatedPartnerId,
    # https://learn.microsoft.com/en-us/dotnet/api/microsoft.store.partnercenter.models.customers.customer.associatedpartnerid
    relationship: str = ""
    indirect_reseller: str = ""


CustomerSource = Callable[[], Awaitable[Sequence[Customer]]]


class CustomerDirectory:
    """Customer list cached for `ttl` seconds; a lookup miss refreshes it at most every `miss_refresh` seconds. Until
    a first list is loaded, a failed load is not tried again for `first_load_pause` seconds: lookups meanwhile fail
    with its error at once, instead of each waiting for a load of its own."""

    def __init__(
        self,
        source: CustomerSource,
        ttl: float = 900,
        miss_refresh: float = 60,
        monotonic: Callable[[], float] = time.monotonic,
        first_load_pause: float = 10,
    ) -> None:
        self._source = source
        self._ttl = ttl
        self._miss_refresh = miss_refresh
        self._now = monotonic
        self._pause = first_load_pause
        self._first_load_failed: tuple[float, Exception] | None = None
        self._by_tenant: dict[str, Customer] = {}
        self._by_domain: dict[str, Customer] = {}
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()

    async def all(self) -> list[Customer]:
        """Every customer, sorted by name."""
        await self._ensure_fresh()
        return sorted(self._by_tenant.values(), key=lambda c: c.name.lower())

    async def by_tenant(self, tenant_id: str) -> Customer | None:
        """The customer whose tenant this is, or None."""
        return await self._lookup(lambda: self._by_tenant.get(tenant_id.lower()))

    async def by_email(self, email: str) -> Customer | None:
        """The customer whose domain matches the e-mail address's domain, or None."""
        domain = email.rpartition("@")[2].strip().lower()
        if not domain:
            return None
        return await self._lookup(lambda: self._by_domain.get(domain))

    async def _lookup(self, find: Callable[[], Customer | None]) -> Customer | None:
        await self._ensure_fresh()
        found = find()
        if found is None and self._loaded_at is not None and self._now() - self._loaded_at >= self._miss_refresh:
            await self._refresh(force=True)
            found = find()
        return found

    async def _ensure_fresh(self) -> None:
        if self._loaded_at is None or self._now() - self._loaded_at >= self._ttl:
            await self._refresh(force=False)

    async def _refresh(self, force: bool) -> None:
        async with self._lock:
            stale = self._loaded_at is None or self._now() - self._loaded_at >= (
                self._miss_refresh if force else self._ttl
            )
            if not stale:
                return
            failed = self._first_load_failed
            if self._loaded_at is None and failed is not None and self._now() - failed[0] < self._pause:
                # The lookups that waited for that load would otherwise each load again in turn (Partner Center
                # down at start-up: the tenth customer to write would wait for ten failed loads).
                raise failed[1].with_traceback(None)
            try:
                customers = await self._source()
            except Exception as error:
                if self._loaded_at is None:
                    self._first_load_failed = (self._now(), error)
                    raise
                # Keep serving the list we have (customers keep working while Partner Center is down);
                # try again after `miss_refresh` rather than on every lookup.
                logger.exception("could not refresh the customer list; keeping the one loaded before")
                self._loaded_at = self._now() - self._ttl + self._miss_refresh
                return
            self._by_tenant = {c.tenant_id.lower(): c for c in customers}
            self._by_domain = {d.lower(): c for c in customers for d in c.domains}
            self._loaded_at = self._now()
            logger.info("customer directory loaded: %d customers", len(customers))
