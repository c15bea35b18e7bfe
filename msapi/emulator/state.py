"""What the emulator knows and remembers: demo tenants, issued tokens, requests seen, injected faults."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from msapi.emulator import demo


@dataclass
class Fault:
    """A failure to inject into requests whose full path starts with `path` (e.g. /partnercenter/v1/customers).

    `status` 0 means no error answer (only the `delay`). `times` < 0 means until cleared.
    """

    path: str
    status: int = 503
    retry_after: str | None = None
    delay: float = 0.0
    body: dict[str, Any] | None = None
    times: int = 1
    tenant: str | None = None


@dataclass
class Seen:
    """One request the emulator answered."""

    method: str
    path: str
    tenant: str | None
    status: int
    headers: dict[str, str]


@dataclass
class EmulatorState:
    """Mutable state of one emulator instance; guarded by a lock because tests read it from other threads."""

    partner: demo.DemoTenant = demo.PARTNER
    customers: tuple[demo.DemoTenant, ...] = demo.CUSTOMERS
    # Registered applications (client id -> secret) that may get tokens.
    apps: dict[str, str] = field(default_factory=lambda: {demo.APP_ID: demo.APP_SECRET})
    token_lifetime: int = 3599
    signing_key: str = field(default_factory=lambda: secrets.token_hex(32))
    faults: list[Fault] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def inject(self, fault: Fault) -> None:
        """Add a fault."""
        with self.lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        """Remove every fault."""
        with self.lock:
            self.faults.clear()

    def take_fault(self, path: str, tenant: str | None) -> Fault | None:
        """The first fault matching a request, consuming one of its uses."""
        with self.lock:
            for fault in self.faults:
                if path.startswith(fault.path) and (fault.tenant is None or fault.tenant == tenant):
                    if fault.times > 0:
                        fault.times -= 1
                        if fault.times == 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def record(self, seen: Seen) -> None:
        """Remember a request."""
        with self.lock:
            self.seen.append(seen)

    def requests(self, path_prefix: str = "", method: str | None = None) -> list[Seen]:
        """Requests seen so far, filtered."""
        with self.lock:
            return [s for s in self.seen if s.path.startswith(path_prefix) and (method is None or s.method == method)]

    def customer(self, tenant_id: str) -> demo.DemoTenant | None:
        """A demo customer by tenant id."""
        return next((c for c in self.customers if c.tenant_id == tenant_id.lower()), None)

    def known_tenant(self, tenant_id: str) -> bool:
        """Whether the partner's app exists (is consented) in this tenant."""
        return tenant_id.lower() == self.partner.tenant_id or self.customer(tenant_id) is not None
