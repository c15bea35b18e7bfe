"""Benchmark of the routes anyone can reach without a token: /readyz, /healthz, /auth/callback and /auth/signin
with junk states, mixed, against `python app.py` in local mode (its own process, on loopback).

    python -m bench.unauthenticated [--requests 3000] [--concurrency 8]

Prints p50/p99 per route; /healthz touches no database and is the baseline of the same run. A second round
repeats the mix while another connection holds the database's write lock: none of these routes takes it, so
their figures should barely move. Figures, not a pass/fail test (the target is /readyz p99 under 50 ms)."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
ROUTES = {  # path -> the status it should answer
    "/readyz": 200,
    "/healthz": 200,
    "/auth/callback?state=not-a-state&code=junk": 400,
    "/auth/signin/not-a-state": 404,
}
START_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"the app exited with {server.returncode} before it was ready")
            try:
                async with session.get(f"{base}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("the app was not ready in time")


async def round_of(base: str, requests: int, concurrency: int, seed: int) -> dict[str, list[float]]:
    """`requests` requests spread evenly over ROUTES in a shuffled order; returns latencies (s) per route."""
    paths = [path for path in ROUTES for _ in range(requests // len(ROUTES))]
    random.Random(seed).shuffle(paths)
    latencies: dict[str, list[float]] = defaultdict(list)
    wrong: list[str] = []
    queue = iter(paths)

    async def client(session: aiohttp.ClientSession) -> None:
        for path in queue:  # a shared iterator: each path is taken once
            started = time.perf_counter()
            async with session.get(base + path, allow_redirects=False) as response:
                await response.read()
            latencies[path].append(time.perf_counter() - started)
            if response.status != ROUTES[path]:
                wrong.append(f"{path} -> {response.status}")

    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
    if wrong:
        print(f"  unexpected answers: {len(wrong)} (first: {wrong[0]})")
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(title: str, latencies: dict[str, list[float]]) -> None:
    print(title)
    print(f"  {'route':<45} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for path, values in latencies.items():
        p50, p99, top = (1000 * x for x in (percentile(values, 0.5), percentile(values, 0.99), max(values)))
        print(f"  {path:<45} {len(values):>5} {p50:>8.2f} {p99:>8.2f} {top:>8.2f}")
    ready, alive = latencies["/readyz"], latencies["/healthz"]
    ratio = percentile(ready, 0.99) / percentile(alive, 0.99)
    print(f"  /readyz p99 = {1000 * percentile(ready, 0.99):.2f} ms, {ratio:.2f}x the /healthz baseline")


async def measure(base: str, folder: str, requests: int, concurrency: int, lock_round: bool) -> None:
    await round_of(base, 200, concurrency, seed=1)  # warm-up, not counted
    report(f"{requests} requests, {concurrency} concurrent:", await round_of(base, requests, concurrency, 2))
    if not lock_round:
        return
    holder = sqlite3.connect(Path(folder) / "desk.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        locked = await round_of(base, requests, concurrency, seed=3)
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    report("the same while another connection holds the write lock:", locked)


def bench(requests: int, concurrency: int, lock_round: bool) -> None:
    """Start the app on a fresh data folder, measure, stop it."""
    with tempfile.TemporaryDirectory(prefix="bench-unauth-") as folder, open(Path(folder) / "app.log", "wb") as log:
        port = free_port()
        env = {**os.environ, "DATA_DIR": folder, "PORT": str(port), "HOST": "127.0.0.1", "LOG_LEVEL": "WARNING"}
        env.pop("DATABASE_URL", None)
        env.pop("MicrosoftAppId", None)  # local mode: authentication off, the emulator in-process
        server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            base = f"http://127.0.0.1:{port}"
            asyncio.run(wait_ready(base, server))
            asyncio.run(measure(base, folder, requests, concurrency, lock_round))
        finally:
            server.terminate()
            server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--no-lock-round", action="store_true", help="skip the round under a held write lock")
    arguments = parser.parse_args()
    bench(arguments.requests, arguments.concurrency, not arguments.no_lock_round)


if __name__ == "__main__":
    main()
