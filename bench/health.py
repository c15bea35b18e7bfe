"""Health sweep: `health all` and the monitor's round over N customer tenants, through the real clients
(TokenProvider, GraphClient paced by the shared rate limiter, HealthBoard), against the emulator in its own process
answering every call after a network latency; wall time next to the ideal the code's own bounds allow.

    python -m bench.health [--tenants 1000] [--latency-ms 100] [--repeat 3] [--retry-after 2]
                           [--database URL] [--profile FILE] [--small] [--json FILE]

`--small`: 50 tenants, 20 ms a call, one repetition (CI). `--profile`: cProfile of the event loop's thread.

The ideal (bench/health_sweep.py `ideal`): HealthBoard.sweep reads SWEEP_CONCURRENCY tenants at a time; a tenant
holds its slot for its round trips, each one latency L: its two Graph reads (healthOverviews, issues) go together,
one round; its first token adds two rounds before them (MSAL's OpenID discovery of the tenant, the token request).
So, for N tenants and C = SWEEP_CONCURRENCY:

    warm sweep   ceil(N / C) × 1 × L            (1,000 tenants, 16, 100 ms:  6.3 s)
    cold sweep   ceil(N / C) × (1 + 2) × L      (18.9 s)
    throttled    max(2L + R, ceil((N - 1 + (2L + R) / L) / C) × L), one tenant answering 429 with Retry-After R

— that is N × 2 calls × L / (2C calls in flight), plus the token rounds. Graph's service communications limits
(240 requests per 60 s and 800 per hour, per app per tenant:
https://learn.microsoft.com/graph/throttling-limits#service-communications-service-limits) would bound it too when a
tenant's requests did not fit in them; a sweep makes 2 per tenant, so they never do (`limits_floor` is 0), and the
page documents no concurrency limit for them (130,000 requests per 10 s per app across all tenants). Medians over
the repetitions; the bare row is a bare httpx client making the same reads, as many tenants at a time, with tokens
in hand: what the machine and the emulator allow whatever our clients do.

Checks (the run exits 1 when one fails, never because of a time): every tenant asks Entra ID for exactly one token
per repetition; no tenant unreadable; every tenant's services read; the shared incident merged across exactly the
tenants that see it; the throttled tenant met its one 429.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import pstats
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import Table, arguments, publish, rss_mb
from bench.health_sweep import KINDS, Endpoint, Repetition, ideal, repetition
from desk.health import SWEEP_CONCURRENCY
from desk.store.database import open_database
from msapi.transport import combined_bundle, http_client

LABELS = {
    "bare": "bare httpx, same reads",
    "cold": "cold sweep (first tokens)",
    "warm": "warm sweep (tokens cached)",
    "throttled": "warm, one tenant 429",
}


def options() -> argparse.Namespace:
    parser = arguments(__doc__)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=100.0, help="added by the emulator to every call")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--retry-after", type=float, default=2.0, help="seconds, the throttled tenant's 429")
    parser.add_argument("--database", help="the rate limiter's database URL (default: SQLite in a temporary folder)")
    parser.add_argument("--profile", type=Path, metavar="FILE", help="cProfile the event loop's thread into FILE")
    args = parser.parse_args()
    if args.small:
        args.tenants, args.latency_ms, args.repeat, args.retry_after = 50, 20.0, 1, 1.0
    return args


def start_emulator(folder: Path, tenants: int, latency_ms: float) -> tuple[subprocess.Popen[str], Endpoint]:
    command = [sys.executable, "-m", "bench.health_emulator", "--tenants", str(tenants)]
    command += ["--latency-ms", str(latency_ms), "--tls-dir", str(folder / "tls")]
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = child.stdout.readline() if child.stdout else ""
    if not line:
        child.kill()
        raise RuntimeError("the emulator did not start")
    where = json.loads(line)
    bundle = combined_bundle(where["ca_cert"], str(folder / "ca-bundle.pem"))
    return child, Endpoint(where["base_url"], where["ca_cert"], bundle)


async def measure(args: argparse.Namespace, folder: Path, memory: dict[str, float]) -> list[Repetition]:
    child, endpoint = start_emulator(folder, args.tenants, args.latency_ms)
    db = await open_database(args.database or f"sqlite:///{folder / 'bench.db'}")
    control = http_client(endpoint.ca_cert)
    memory["at rest"], memory["emulator at rest"] = rss_mb(), rss_mb(child.pid)
    done: list[Repetition] = []
    try:
        for _ in range(args.repeat):
            done.append(await repetition(endpoint, control, db, args.tenants, args.retry_after, child.pid))
        memory["after"], memory["emulator after"] = rss_mb(), rss_mb(child.pid)
    finally:
        await control.aclose()
        await db.close()
        if child.stdin:
            child.stdin.close()
        child.wait(timeout=30)
    return done


def tables(args: argparse.Namespace, done: list[Repetition], memory: dict[str, float]) -> list[Table]:
    latency = args.latency_ms / 1000
    sweep = Table(
        f"health sweep: {args.tenants:,} tenants, {args.latency_ms:g} ms a call, {SWEEP_CONCURRENCY} tenants at a "
        f"time, median of {len(done)}",
        ("seconds", "ideal s", "measured/ideal", "tenants/s", "CPU s", "emulator CPU s", "unreadable"),
        baseline=LABELS["bare"],
        ratio_of="measured/ideal",
        higher_is_better=False,
    )
    for kind in ("bare", *KINDS[:3]):
        seconds = statistics.median(r.seconds[kind] for r in done)
        best = ideal("warm" if kind == "bare" else kind, args.tenants, latency, args.retry_after)
        sweep.add(
            LABELS[kind],
            seconds=seconds,
            **{"ideal s": best, "measured/ideal": round(seconds / best, 3), "tenants/s": args.tenants / seconds},
            **{"CPU s": statistics.median(r.cpu[kind] for r in done)},
            **{"emulator CPU s": statistics.median(r.emulator_cpu[kind] for r in done)},
            unreadable=sum(r.unreadable[kind] for r in done),
        )
    sweep.notes.append("target: measured/ideal ≤ 1.2; ×baseline = the bare client's measured/ideal ÷ the row's")
    sweep.notes.append("CPU s: this process, every thread (MSAL's, SQLite's); the emulator runs in its own process")
    tokens = [n for r in done for n in r.token_requests.values()]
    discoveries = [n for r in done for n in r.discoveries.values()]
    checks = Table("per tenant and repetition", ("min", "max", "mean", "required"))
    checks.add("token requests", min=min(tokens), max=max(tokens), mean=statistics.mean(tokens), required="1")
    checks.add("OpenID discoveries", min=min(discoveries), max=max(discoveries), mean=statistics.mean(discoveries))
    rss = Table("memory", ("rss MB",))
    for name, value in memory.items():
        rss.add(name, **{"rss MB": value})
    return [sweep, checks, rss]


def main() -> int:
    args = options()
    logging.basicConfig(level=logging.ERROR)  # the throttled sweep's warning is expected
    memory: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        done = asyncio.run(measure(args, Path(folder), memory))
        if profiler:
            profiler.disable()
            profiler.dump_stats(str(args.profile))
            pstats.Stats(str(args.profile)).sort_stats("tottime").print_stats(25)
    problems = [problem for r in done for problem in r.problems]
    publish("health", tables(args, done, memory), args.json, problems=problems)
    for problem in problems:
        print(f"WRONG: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
