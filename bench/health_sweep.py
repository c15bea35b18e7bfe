"""The health benchmark's core: health sweeps through the real clients (TokenProvider, GraphClient paced by the
shared rate limiter in the database, the throttle gate, HealthBoard) against an emulator reached over HTTPS, each
sweep's result checked, and the emulator's request log read for the token requests of every tenant.

One repetition starts from a fresh token provider and fresh connections, as a process that has just started:
  cold       every tenant's first token (MSAL's OpenID discovery, then the token request), then its two reads;
  warm       tokens cached: the two reads only;
  throttled  warm, but the first tenant's issues answer 429 once with Retry-After: the others must not wait;
  bare       the same two GETs per tenant, as many tenants at a time, with a bare httpx client and tokens in
             hand: what this machine and emulator allow, whatever our clients do.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from bench.common import cpu_seconds
from bench.health_emulator import SERVICES, SHARED_ISSUE, affected, bench_tenants
from desk.customers import Customer
from desk.health import SWEEP_CONCURRENCY, HealthBoard, Sweep
from desk.ratelimit import Limits, SharedRateLimiter
from desk.store.database import Database
from emulator import demo
from msapi.graph import SERVICE_COMMUNICATIONS_LIMITS, GraphClient
from msapi.limits import Windows
from msapi.throttle import ThrottleGate
from msapi.tokens import TokenProvider
from msapi.transport import http_client, msal_session

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
ANNOUNCEMENTS = "/v1.0/admin/serviceAnnouncement"
ISSUES = f"/graph{ANNOUNCEMENTS}/issues"
# What HealthBoard.tenant asks of Graph: healthOverviews and issues, sent together (one round trip), one page each
# (the benchmark's tenants have fewer items than Graph's page of 100).
GRAPH_CALLS = 2
GRAPH_ROUNDS = 1
# A tenant's first token, before its reads: MSAL reads the tenant's OpenID configuration, then asks for the token.
TOKEN_ROUNDS = 2
KINDS = ("cold", "warm", "throttled", "bare")


@dataclass(frozen=True)
class Endpoint:
    """Where the emulator serves, and the CA its certificate is signed by."""

    base_url: str
    ca_cert: str
    bundle: str  # the public CA bundle plus ca_cert, for MSAL's requests session


@dataclass
class Repetition:
    """What one repetition measured and found wrong."""

    seconds: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds of this process (every thread) per sweep
    emulator_cpu: dict[str, float] = field(default_factory=dict)
    unreadable: dict[str, int] = field(default_factory=dict)
    token_requests: dict[str, int] = field(default_factory=dict)  # tenant -> token requests in this repetition
    discoveries: dict[str, int] = field(default_factory=dict)  # tenant -> OpenID configuration reads
    problems: list[str] = field(default_factory=list)


def limits_floor(requests: int, windows: Windows = SERVICE_COMMUNICATIONS_LIMITS) -> float:
    """The shortest time in which one tenant can be sent `requests` requests within Graph's windows: the (k·count
    + 1)-th request must wait k windows. 0 while they fit in every window."""
    return max(((requests - 1) // count) * seconds for count, seconds in windows)


def ideal(
    kind: str, tenants: int, latency: float, retry_after: float = 0.0, concurrency: int = SWEEP_CONCURRENCY
) -> float:
    """The shortest sweep the code's bound allows: `concurrency` tenants at a time, each holding its slot for its
    round trips of `latency` (its reads go together: one round; a first token adds TOKEN_ROUNDS before them), so
    ceil(tenants / concurrency) waves. The throttled tenant holds its slot for 429 + Retry-After + retry while
    the others share the slot time left. Graph's per-tenant windows bound it too (limits_floor), though a sweep's
    GRAPH_CALLS requests per tenant never come near them."""
    waves = math.ceil(tenants / concurrency)
    if kind == "cold":
        bound = waves * (TOKEN_ROUNDS + GRAPH_ROUNDS) * latency
    elif kind == "throttled":
        held = 2 * latency + retry_after  # 429, Retry-After, the retry
        bound = max(held, math.ceil((tenants - 1 + held / latency) / concurrency) * latency)
    else:
        bound = waves * GRAPH_ROUNDS * latency
    return max(bound, limits_floor(GRAPH_CALLS))


def customers(count: int) -> list[Customer]:
    return [Customer(t.tenant_id, t.name, (t.domain,)) for t in bench_tenants(count)]


async def seen(control: httpx.AsyncClient, endpoint: Endpoint) -> list[dict[str, object]]:
    """Every request the emulator answered so far: method, path, tenant, status."""
    response = await control.get(f"{endpoint.base_url}/_emulator/requests")
    response.raise_for_status()
    return list(response.json())


def per_tenant(log: Sequence[dict[str, object]], method: str, suffix: str) -> Counter[str]:
    """Requests of `method` to /login/{tenant}/...`suffix`, per tenant."""
    return Counter(
        str(s["path"]).split("/")[2]
        for s in log
        if s["method"] == method and str(s["path"]).startswith("/login/") and str(s["path"]).endswith(suffix)
    )


def check_sweep(kind: str, sweep: Sweep, wanted: Sequence[Customer]) -> list[str]:
    """What is wrong with a sweep's result: a tenant missing or unreadable, services missing, the shared
    incident not merged into one issue of exactly the tenants that see it."""
    problems = []
    if sorted(t.customer.tenant_id for t in sweep.tenants) != sorted(c.tenant_id for c in wanted):
        problems.append(f"{kind}: the sweep did not answer for every tenant exactly once")
    if sweep.unreadable:
        problems.append(f"{kind}: {len(sweep.unreadable)} tenants unreadable, e.g. {sweep.unreadable[0].error!r}")
    short = [t for t in sweep.tenants if t.error is None and len(t.services) != len(SERVICES)]
    if short:
        problems.append(f"{kind}: {len(short)} tenants read without their {len(SERVICES)} services")
    expected = sorted(t.tenant_id for t in affected(bench_tenants(len(wanted))))
    issues = {s.issue.id: sorted(c.tenant_id for c in s.customers) for s in sweep.issues}
    if issues != {SHARED_ISSUE: expected}:
        problems.append(f"{kind}: the shared incident was not found in exactly its {len(expected)} tenants")
    return problems


async def bare_sweep(http: httpx.AsyncClient, base: str, bearer: dict[str, str], concurrency: int) -> int:
    """The same reads with a bare client and tokens in hand; returns how many failed."""
    limit = asyncio.Semaphore(concurrency)
    paths = (f"{ANNOUNCEMENTS}/healthOverviews", f"{ANNOUNCEMENTS}/issues")

    async def one(tenant: str) -> int:
        headers = {"Authorization": f"Bearer {bearer[tenant]}", "Accept": "application/json"}
        async with limit:
            answers = await asyncio.gather(*(http.get(f"{base}/graph{path}", headers=headers) for path in paths))
        return sum(1 for answer in answers if answer.status_code != 200)

    return sum(await asyncio.gather(*(one(tenant) for tenant in bearer)))


class Stopwatch:
    """Wall time and CPU time (this process's, and the emulator's when it runs in a process of its own)."""

    def __init__(self, found: Repetition, emulator_pid: int | None) -> None:
        self._found = found
        self._pid = emulator_pid

    def start(self) -> None:
        self._started = (time.perf_counter(), cpu_seconds(), cpu_seconds(self._pid) if self._pid else 0.0)

    def stop(self, kind: str) -> None:
        wall, cpu, emulator = self._started
        self._found.seconds[kind] = time.perf_counter() - wall
        self._found.cpu[kind] = cpu_seconds() - cpu
        self._found.emulator_cpu[kind] = (cpu_seconds(self._pid) - emulator) if self._pid else 0.0


async def repetition(
    endpoint: Endpoint,
    control: httpx.AsyncClient,
    db: Database,
    count: int,
    retry_after: float,
    emulator_pid: int | None = None,
) -> Repetition:
    """One cold, warm, throttled and bare sweep over `count` tenants, from a fresh token provider and connections,
    paced (as the runtime does) by the shared rate limiter in `db`."""
    found = Repetition()
    watch = Stopwatch(found, emulator_pid)
    wanted = customers(count)
    http = http_client(endpoint.ca_cert)
    tokens = TokenProvider(
        demo.APP_ID, demo.APP_SECRET, f"{endpoint.base_url}/login", msal_session(endpoint.bundle), False
    )
    limiter = SharedRateLimiter(db, "graph:service-communications", Limits(SERVICE_COMMUNICATIONS_LIMITS))
    graph = GraphClient(http, tokens, f"{endpoint.base_url}/graph", GRAPH_SCOPE, limiter=limiter, gate=ThrottleGate())
    board = HealthBoard(graph)
    before = await seen(control, endpoint)
    try:
        for kind in KINDS[:3]:
            if kind == "throttled":
                fault = {"path": ISSUES, "status": 429, "retry_after": str(retry_after), "tenant": wanted[0].tenant_id}
                (await control.post(f"{endpoint.base_url}/_emulator/faults", json=fault)).raise_for_status()
            watch.start()
            sweep = await board.sweep(wanted, fresh=True)
            watch.stop(kind)
            found.unreadable[kind] = len(sweep.unreadable)
            found.problems += check_sweep(kind, sweep, wanted)
        bearer = {c.tenant_id: await tokens.token(c.tenant_id, GRAPH_SCOPE) for c in wanted}
        watch.start()
        found.unreadable["bare"] = await bare_sweep(http, endpoint.base_url, bearer, SWEEP_CONCURRENCY)
        watch.stop("bare")
    finally:
        tokens.close()
        await http.aclose()
    log = (await seen(control, endpoint))[len(before) :]
    posts = per_tenant(log, "POST", "/oauth2/v2.0/token")
    reads = per_tenant(log, "GET", "/.well-known/openid-configuration")
    found.token_requests = {c.tenant_id: posts[c.tenant_id] for c in wanted}
    found.discoveries = {c.tenant_id: reads[c.tenant_id] for c in wanted}
    found.problems += check_tokens(found.token_requests)
    throttled = [s for s in log if s["status"] == 429 and s["tenant"] == wanted[0].tenant_id]
    if len(throttled) != 1:
        found.problems.append(f"throttled: the first tenant met {len(throttled)} 429s, not the 1 injected")
    return found


def check_tokens(token_requests: dict[str, int]) -> list[str]:
    """Every tenant asked Entra ID for exactly one token in a repetition (one cold sweep, then cached)."""
    wrong = {tenant: n for tenant, n in token_requests.items() if n != 1}
    if not wrong:
        return []
    example = next(iter(wrong.items()))
    return [f"{len(wrong)} tenants made other than 1 token request, e.g. {example[0]}: {example[1]}"]
