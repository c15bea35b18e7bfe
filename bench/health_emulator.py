"""The health benchmark's Microsoft: the emulator with N customer tenants and a network latency, served from a
process of its own so that its work (TLS, JSON, token signing) does not share the measured process's interpreter.
Not a benchmark itself; `python -m bench.health` starts it:

    python -m bench.health_emulator --tenants 1000 --latency-ms 100 --tls-dir DIR

It prints one JSON line, {"base_url", "ca_cert"}, once it serves, and stops when its standard input closes.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from emulator import demo
from emulator.demo_health import SERVICE_IDS
from emulator.server import EmulatorServer
from emulator.state import EmulatorState

# Every tenant runs these services; every SHARED_EVERY-th tenant also sees one open incident, the same id in each
# (the sweep must merge it into one issue naming exactly those customers).
SERVICES = tuple(SERVICE_IDS)
SHARED_ISSUE = "EX100001"
SHARED_EVERY = 10


def bench_tenants(count: int) -> tuple[demo.DemoTenant, ...]:
    """`count` customer tenants (none of them the demo ones)."""
    return tuple(
        demo.DemoTenant(f"00000000-0000-4000-8000-{n:012d}", f"Customer {n:04d}", f"customer{n}.onmicrosoft.com")
        for n in range(count)
    )


def affected(tenants: tuple[demo.DemoTenant, ...]) -> tuple[demo.DemoTenant, ...]:
    """The tenants that see SHARED_ISSUE."""
    return tenants[::SHARED_EVERY]


def bench_state(count: int, latency: float) -> EmulatorState:
    """The emulator's state: `count` consented tenants, each with SERVICES, a shared incident, `latency` seconds
    on every request."""
    tenants = bench_tenants(count)
    state = EmulatorState(customers=tenants, graph_consent_missing=set(), demo_health=False, latency=latency)
    state.health = {tenant.tenant_id: dict.fromkeys(SERVICES, "ServiceOperational") for tenant in tenants}
    started = datetime.now(UTC) - timedelta(hours=1)
    state.upsert_issue(
        demo.DemoIssue(
            id=SHARED_ISSUE,
            title="Users may be unable to send or receive email",
            service="Exchange Online",
            feature="E-Mail and calendar access",
            classification="Incident",
            status="ServiceDegradation",
            impact="Users may be unable to send or receive email.",
            start=started,
            tenants=tuple(tenant.tenant_id for tenant in affected(tenants)),
            posts=((started, "<p>We're investigating.</p>"),),
        )
    )
    return state


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tenants", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--tls-dir", type=Path, required=True)
    args = parser.parse_args()
    server = EmulatorServer(bench_state(args.tenants, args.latency_ms / 1000), args.tls_dir).start()
    print(json.dumps({"base_url": server.base_url, "ca_cert": str(server.tls.ca_cert)}), flush=True)
    sys.stdin.read()  # until the benchmark closes our input (or exits)
    server.stop()


if __name__ == "__main__":
    main()
