"""What the emulator knows and remembers: demo tenants, issued tokens, requests seen, injected faults, and each
customer's service health (changed by tests and the monitor's demo while it runs)."""

from __future__ import annotations

import asyncio
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from emulator import demo, demo_health, demo_storm
from emulator.gdap_book import GdapBook
from emulator.grants import Grants
from emulator.install_events import InstallEvents
from emulator.sr_store import ScriptStep, ServiceRequestBook, StoredServiceRequest
from emulator.teams_book import TeamsBook

# Statuses after which a service counts as running normally again (lower-cased).
HEALTHY = frozenset({"serviceoperational", "servicerestored", "postincidentreviewpublished", "falsepositive"})
# Graph's service communications limits per app per tenant, (requests, seconds): 240 a minute and 800 an hour.
GRAPH_LIMITS: tuple[tuple[int, float], ...] = ((240, 60.0), (800, 3600.0))


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Fault:
    """A failure to inject into requests whose full path starts with `path` (e.g. /partnercenter/v1/customers).

    `status` 0 means no error answer (only the `delay`). Without a `body` an error answer carries the error body
    of the API the path belongs to (Graph, Partner Center or Entra ID), and a 429 without `retry_after` that
    API's usual Retry-After. `times` > 0 is how many requests it hits; < 0 means until cleared; 0 is refused
    (ValueError), as a fault that hits nothing is a mistake. `after_handling` lets the request do its work first
    (a service request is filed) and only then answers with the fault: a gateway error or timeout that hides
    work already done. `raw` answers with that text as the body instead (`status` 0 means 200): a body that is not
    JSON at all, as a proxy's error page or a cut-off answer would be. `hits` counts the requests it has met, as
    they arrive (a delayed one is in `EmulatorState.seen` only once answered).
    """

    path: str
    status: int = 503
    retry_after: str | None = None
    delay: float = 0.0
    body: dict[str, Any] | None = None
    times: int = 1
    tenant: str | None = None
    after_handling: bool = False
    raw: str | None = None
    hits: int = 0

    def __post_init__(self) -> None:
        if self.times == 0:
            raise ValueError("times must be positive (that many requests) or negative (until cleared), not 0")


@dataclass
class Seen:
    """One request the emulator answered."""

    method: str
    path: str
    tenant: str | None
    status: int
    headers: dict[str, str]


# The Graph application permissions the partner's app is granted in every consented customer tenant by default.
GRAPH_APP_PERMISSIONS = frozenset({"ServiceHealth.Read.All", "ServiceMessage.Read.All"})
# Those the onboarding calls need (issue 16; docs/onboarding-graph.md): installing the desk for users, reading the
# org catalog, finding users and groups. Granted by default too; tests withdraw them per tenant.
ONBOARDING_APP_PERMISSIONS = frozenset(
    {"TeamsAppInstallation.ReadWriteSelfForUser.All", "AppCatalog.Read.All", "User.Read.All", "GroupMember.Read.All"}
)


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
    # Service requests filed with Microsoft, and the steps Microsoft Support takes on each by itself, applied when a
    # request is read: (seconds after filing, note, status). Empty: only the control route advances them.
    service_requests: ServiceRequestBook = field(default_factory=ServiceRequestBook)
    sr_script: list[ScriptStep] = field(default_factory=list)
    clock: Callable[[], datetime] = _utcnow
    started: datetime = field(default_factory=_utcnow)
    # Service health: tenant -> service name -> status; issues and Message center items by id.
    health: dict[str, dict[str, str]] = field(default_factory=dict)
    issues: dict[str, demo.DemoIssue] = field(default_factory=dict)
    messages: dict[str, demo.DemoMessage] = field(default_factory=dict)
    # Customers where the partner's app has a token but no consent for Graph (401 Authorization_IdentityNotFound).
    graph_consent_missing: set[str] = field(default_factory=lambda: {demo.TAILSPIN.tenant_id})
    # Application permissions the partner's app lacks in a consented tenant (tenant -> permission names): the `roles`
    # claim of its app-only tokens for that tenant leaves them out, and Graph answers 403 (emulator/graph.py).
    graph_permissions_missing: dict[str, set[str]] = field(default_factory=dict)
    demo_health: bool = True
    # Users signing in (App+User): redirect URIs registered besides http loopback ones; a user (aad id) the
    # authorize page signs in without asking; users whose refresh tokens were revoked (until they sign in again).
    redirect_uris: set[str] = field(default_factory=set)
    auto_sign_in_user: str | None = None
    revoked_users: set[str] = field(default_factory=set)
    user_token_lifetime: int = 3599
    device_interval: int = 5
    device_code_lifetime: int = 900
    grants: Grants = field(default_factory=Grants)
    # Graph throttling: the limits (requests, seconds) per app per tenant, the clock measuring them (tests move
    # their own), and the times of recent service communications requests per (app id, tenant).
    graph_limits: tuple[tuple[int, float], ...] = GRAPH_LIMITS
    monotonic: Callable[[], float] = time.monotonic
    graph_sent: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    # Seconds every Microsoft API request (Entra ID, Graph, Partner Center) waits before it is answered, as over a
    # real network; 0 (the default) answers at once. The control routes never wait. Benchmarks set it; tests may
    # record the waits with a `pause` of their own.
    latency: float = 0.0
    pause: Callable[[float], Awaitable[None]] = asyncio.sleep
    # The partner's GDAP relationships (Graph tenantRelationships/delegatedAdminRelationships) and whether its app
    # holds DelegatedAdminRelationship.Read.All.
    gdap: GdapBook = field(default_factory=GdapBook)
    # Customer directories, org app catalogs and per-user installations, with Graph's Teams pace (issue 16).
    teams: TeamsBook = field(default_factory=TeamsBook)
    # Where Teams tells the bot about personal installs (None: recorded in teams.installs only).
    install_events: InstallEvents | None = None

    def __post_init__(self) -> None:
        if not self.demo_health:
            return
        self.health = demo_health.demo_health()
        self.messages = {message.id: message for message in demo_health.demo_messages(self.started)}
        for issue in demo_health.demo_issues(self.started):
            # Demo issues were last touched by their newest post, not at the emulator's start.
            touched = max([issue.end or issue.start, *(created for created, _ in issue.posts)])
            self._store(replace(issue, last_modified=touched))

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
                    fault.hits += 1
                    if fault.times > 0:
                        fault.times -= 1
                        if fault.times == 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def graph_throttle(self, app_id: str, tenant: str) -> int | None:
        """Count a Graph service communications request of `app_id` in `tenant`: None when it is within every
        limit, else the whole seconds until it would be (Graph then answers 429 with that Retry-After). Throttled
        requests count too: Graph says every request accrues against the limits."""
        with self.lock:
            now = self.monotonic()
            keep = max(count for count, _ in self.graph_limits) + 1  # only the newest requests matter
            sent = self.graph_sent.get((app_id, tenant), deque())
            if sent.maxlen != keep:  # first request, or the limits changed
                sent = self.graph_sent[(app_id, tenant)] = deque(sent, maxlen=keep)
            sent.append(now)
            # Over a limit when `count` earlier requests are still inside its window.
            throttled = any(
                len(sent) > count and sent[-count - 1] > now - period for count, period in self.graph_limits
            )
            if not throttled:
                return None
            # The next request fits once the count-th newest so far (this one included) has left each window.
            wait = max(sent[-count] + period - now for count, period in self.graph_limits if len(sent) >= count)
            return max(1, math.ceil(wait))

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

    def advance_service_request(
        self, sr_id: str, note: str | None = None, status: str | None = None
    ) -> StoredServiceRequest:
        """Microsoft's move on a service request: a note by "Microsoft Support" and/or a new status (closing sets
        its lastClosedDate); KeyError when unknown, ValueError for an unknown status."""
        return self.service_requests.advance(sr_id, note, status)

    def upsert_issue(self, issue: demo.DemoIssue) -> demo.DemoIssue:
        """Add or replace an issue (modified now); the affected services' statuses follow it."""
        with self.lock:
            return self._store(replace(issue, last_modified=self.clock()))

    def add_post(self, issue_id: str, text: str, status: str | None = None) -> demo.DemoIssue:
        """Append a post (HTML) to an issue, optionally changing its status; KeyError when unknown."""
        with self.lock:
            issue = self.issues[issue_id]
            now = self.clock()
            posts = (*issue.posts, (now, text))
            return self._store(replace(issue, posts=posts, status=status or issue.status, last_modified=now))

    def resolve_issue(self, issue_id: str) -> demo.DemoIssue:
        """Mark an issue resolved (ServiceRestored, ended now) and restore its service; KeyError when unknown."""
        with self.lock:
            now = self.clock()
            issue = self.issues[issue_id]
            return self._store(replace(issue, resolved=True, status="ServiceRestored", end=now, last_modified=now))

    def start_storm(
        self, issue_id: str = demo_storm.STORM_ID, tenants: tuple[str, ...] | None = None
    ) -> demo.DemoIssue:
        """An incident storm (emulator/demo_storm.py): one incident in every customer tenant the partner's app can
        read (or in `tenants`); tenants without demo health get every demo service operational first. ValueError
        for a tenant that is not a customer."""
        with self.lock:
            readable = tuple(c.tenant_id for c in self.customers if c.tenant_id not in self.graph_consent_missing)
            chosen = tuple(t.lower() for t in tenants) if tenants else readable
            unknown = [t for t in chosen if self.customer(t) is None]
            if unknown or not chosen:
                raise ValueError(f"not customers of the partner: {', '.join(unknown) or '(none given)'}")
            for tenant in chosen:
                if not self.health.get(tenant):
                    self.health[tenant] = dict.fromkeys(demo_health.SERVICE_IDS, "ServiceOperational")
            now = self.clock()
            return self._store(replace(demo_storm.storm_issue(now, chosen, issue_id), last_modified=now))

    def tenant_health(self, tenant_id: str) -> dict[str, str]:
        """A copy of a tenant's service statuses."""
        with self.lock:
            return dict(self.health.get(tenant_id, {}))

    def tenant_issues(self, tenant_id: str) -> list[demo.DemoIssue]:
        """The issues a tenant sees, in the order they were first added."""
        with self.lock:
            return [issue for issue in self.issues.values() if tenant_id in issue.tenants]

    def app_roles(self, tenant_id: str) -> list[str]:
        """The application permissions granted to the partner's app in a tenant (an app-only token's `roles`)."""
        with self.lock:
            missing = self.graph_permissions_missing.get(tenant_id, set())
        return sorted((GRAPH_APP_PERMISSIONS | ONBOARDING_APP_PERMISSIONS) - missing)

    def tenant_messages(self, tenant_id: str) -> list[demo.DemoMessage]:
        """The Message center items a tenant sees."""
        with self.lock:
            return [message for message in self.messages.values() if tenant_id in message.tenants]

    def _store(self, issue: demo.DemoIssue) -> demo.DemoIssue:
        # Caller holds the lock (or is __post_init__). Both the old and the new form may touch services.
        before = self.issues.get(issue.id)
        self.issues[issue.id] = issue
        touched = {(t, issue.service) for t in issue.tenants}
        if before is not None:
            touched |= {(t, before.service) for t in before.tenants}
        for tenant, service in touched:
            self._settle(tenant, service)
        return issue

    def _settle(self, tenant: str, service: str) -> None:
        statuses = self.health.setdefault(tenant, {})
        open_issues = [
            i for i in self.issues.values() if not i.resolved and i.service == service and tenant in i.tenants
        ]
        if open_issues:
            statuses[service] = max(open_issues, key=lambda i: i.last_modified or i.start).status
        elif statuses.get(service, "").lower() not in HEALTHY:
            statuses[service] = "ServiceRestored"
