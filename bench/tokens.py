"""Token fetches per tenant and wall time of a `health all`-like sweep over N tenants, through the real clients
(TokenProvider, GraphClient, HealthBoard) and the local emulator over HTTPS.

    python -m bench.tokens [--tenants 200] [--repeat 3] [--retry-after 2]

Each repetition starts from a fresh token provider: a cold sweep (every tenant's first token), a warm one (tokens
cached), and a warm one in which one tenant answers 429 with Retry-After (the others must not wait for it). Wall
times are medians over the repetitions; the machine's load moves them, so compare runs made side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from desk.customers import Customer
from desk.health import SWEEP_CONCURRENCY, HealthBoard
from desk.ratelimit import Limits, SharedRateLimiter
from desk.store.database import Database, SqliteDatabase
from emulator import demo
from emulator.server import EmulatorServer
from emulator.state import EmulatorState, Fault
from msapi.graph import SERVICE_COMMUNICATIONS_LIMITS, GraphClient
from msapi.throttle import ThrottleGate
from msapi.tokens import TokenProvider
from msapi.transport import combined_bundle, http_client, msal_session

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
ISSUES = "/graph/v1.0/admin/serviceAnnouncement/issues"


@dataclass
class Figures:
    """What the repetitions measured."""

    cold: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    throttled: list[float] = field(default_factory=list)
    tokens_per_tenant: list[int] = field(default_factory=list)
    unreadable: int = 0


def tenants(count: int) -> tuple[demo.DemoTenant, ...]:
    """`count` customer tenants besides the demo ones."""
    return tuple(
        demo.DemoTenant(f"00000000-0000-4000-8000-{n:012d}", f"Customer {n:04d}", f"customer{n}.onmicrosoft.com")
        for n in range(count)
    )


def token_counts(state: EmulatorState) -> Counter[str]:
    """Token requests the emulator answered so far, per tenant."""
    posts = [s for s in state.requests("/login/", method="POST") if s.path.endswith("/oauth2/v2.0/token")]
    return Counter(seen.path.split("/")[2] for seen in posts)


async def repetition(
    server: EmulatorServer,
    http: httpx.AsyncClient,
    bundle: str,
    many: tuple[demo.DemoTenant, ...],
    retry_after: str,
    db: Database,
) -> Figures:
    """One cold, one warm and one throttled sweep with a fresh token provider (paced, as the runtime does, by the
    shared rate limiter in `db`)."""
    figures = Figures()
    tokens = TokenProvider(
        demo.APP_ID, demo.APP_SECRET, f"{server.base_url}/login", msal_session(bundle), validate_authority=False
    )
    limiter = SharedRateLimiter(db, "graph:service-communications", Limits(SERVICE_COMMUNICATIONS_LIMITS))
    graph = GraphClient(http, tokens, f"{server.base_url}/graph", GRAPH_SCOPE, limiter=limiter, gate=ThrottleGate())
    board = HealthBoard(graph)
    customers = [Customer(t.tenant_id, t.name, (t.domain,)) for t in many]
    before = token_counts(server.state)

    for times, throttle in ((figures.cold, False), (figures.warm, False), (figures.throttled, True)):
        if throttle:
            server.state.inject(Fault(ISSUES, status=429, retry_after=retry_after, tenant=many[0].tenant_id))
        started = time.perf_counter()
        sweep = await board.sweep(customers, fresh=True)
        times.append(time.perf_counter() - started)
        figures.unreadable += len(sweep.unreadable)

    after = token_counts(server.state)
    figures.tokens_per_tenant = [after[t.tenant_id] - before[t.tenant_id] for t in many]
    return figures


async def run(count: int, repeat: int, retry_after: str, folder: Path) -> None:
    many = tenants(count)
    state = EmulatorState(customers=many, graph_consent_missing=set())
    server = EmulatorServer(state, folder / "tls").start()
    http = http_client(str(server.tls.ca_cert))
    db = SqliteDatabase(str(folder / "bench.db"))
    await db.open()
    total = Figures()
    try:
        bundle = combined_bundle(str(server.tls.ca_cert), str(folder / "ca-bundle.pem"))
        for _ in range(repeat):
            one = await repetition(server, http, bundle, many, retry_after, db)
            total.cold += one.cold
            total.warm += one.warm
            total.throttled += one.throttled
            total.tokens_per_tenant += one.tokens_per_tenant
            total.unreadable += one.unreadable
    finally:
        await http.aclose()
        await db.close()
        server.stop()

    per_tenant = total.tokens_per_tenant
    print(f"tenants {count}, sweep concurrency {SWEEP_CONCURRENCY}, repetitions {repeat}")
    print(f"token requests per tenant per repetition: mean {statistics.mean(per_tenant):.2f}, max {max(per_tenant)}")
    print(f"tenants given more than one token: {sum(1 for n in per_tenant if n > 1)} of {len(per_tenant)}")
    for name, times in (
        ("cold sweep (first tokens)", total.cold),
        ("warm sweep (tokens cached)", total.warm),
        (f"warm sweep, one tenant 429 for {retry_after} s", total.throttled),
    ):
        median = statistics.median(times)
        print(f"{name:<40} median {median:6.2f} s  ({count / median:5.0f} tenants/s)")
    print(f"tenants unreadable in all sweeps: {total.unreadable}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--retry-after", default="2")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the throttled round's warning is expected
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(args.tenants, args.repeat, args.retry_after, Path(folder)))


if __name__ == "__main__":
    main()
