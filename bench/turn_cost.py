"""Where a turn's CPU goes: the profile command of the turn's speed-ups (bench/turns.py is the benchmark of record).

    python -m bench.turn_cost [--small] [--turns 400] [--concurrency 16] [--kind submit|help]
                              [--profile cprofile|pyspy|none] [--top 20] [--stats FILE] [--json FILE]

Runs the real app in production mode in this process (authentication on: channel tokens signed with a local key
published by a local OpenID server, the bot's own token from the Microsoft API emulator, a local connector), prepares
`--turns` ticket drafts (untimed), then sends the ticket submits (`--kind help`: `help` messages) with one channel
token, as Teams does, `--concurrency` at a time, and waits until the outbox has sent what is due. It prints the CPU
per turn of the app's threads (the event loop, which also runs the test client; the database thread; the executor
threads of the SDK's blocking HTTP calls), apart from the connector, emulator and OpenID threads, the garbage
collector's share, and a profile: `cprofile` (the event loop's thread; `--stats FILE` keeps it for pstats) or
`pyspy` (every thread, sampled by `py-spy record`, when py-spy is installed: `pip install py-spy`).

Checks every turn's answer and that each submit made its ticket; exits 1 when one is wrong (never on a time).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import Table, arguments, publish
from desk.settings import Settings
from emulator import demo
from emulator.server import EmulatorServer
from emulator.state import EmulatorState
from tests.support.activities import Channel, Chat, user, with_demo_roster
from tests.support.connector import LocalConnector
from tests.support.harness import Desk, start_desk
from tests.support.production import BOT_APP_ID, BOT_PASSWORD, production_env
from tests.support.tokens import OpenIdServer, SigningKey, channel_claims, new_signing_key, sign

TICKET = {
    "product": "microsoft365",
    "service": "Exchange Online",
    "severity": "critical",
    "title": "Mail is down",
    "description": "Nobody at the Leeds office can send mail since 09:00.",
    "contact": "megan@fabrikam.onmicrosoft.com",
}


class WrongResult(Exception):
    """A turn's answer, or what it stored, is not what it should be."""


@dataclass
class GcWatch:
    """Garbage collections (any thread) and the time they took, by generation."""

    counts: list[int] = field(default_factory=lambda: [0, 0, 0])
    seconds: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    _started: float = 0.0

    def callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.counts[info["generation"]] += 1
            self.seconds[info["generation"]] += time.perf_counter() - self._started


def thread_cpu() -> dict[int, float]:
    """CPU seconds (user + system) of each thread of this process, from /proc (Linux)."""
    found = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        found[int(tid)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


@dataclass
class Rig:
    desk: Desk
    connector: LocalConnector
    openid: OpenIdServer
    key: SigningKey
    foreign: set[int]  # threads that are not the app's: connector, OpenID server, emulator

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {sign(channel_claims(BOT_APP_ID, self.connector.url), self.key)}"}


async def prepare(rig: Rig, kind: str, count: int, headers: dict[str, str]) -> list[dict[str, Any]]:
    """The activities to time: ticket submits of `count` fresh forms, or `help` messages."""
    desk, chat = rig.desk, Chat(user(demo.FABRIKAM, 0), rig.connector.url)
    triage = Channel("19:team-support@thread.tacv2", "19:triage-channel@thread.tacv2", rig.connector.url)
    status, _ = await desk.send(triage.message(user(demo.PARTNER, 0), "triage here"), headers)
    if status != 201:
        raise WrongResult(f"triage here answered {status}")
    if kind == "help":
        return [chat.message("help") for _ in range(count)]
    activities = []
    for _ in range(count):
        status, _ = await desk.send(chat.message("new ticket"), headers)
        card = rig.connector.posts(chat.conversation_id)[-1].cards[0]
        draft = next(a for a in card["actions"] if a.get("verb") == "ticket.submit")["data"]["id"]
        activities.append(chat.invoke("ticket.submit", draft, TICKET))
    await desk.delivered()
    return activities


async def drive(rig: Rig, activities: list[dict[str, Any]], concurrency: int, headers: dict[str, str]) -> None:
    """Send every activity, `concurrency` at a time; check each answer."""
    limit = asyncio.Semaphore(concurrency)

    async def one(activity: dict[str, Any]) -> None:
        async with limit:
            status, body = await rig.desk.send(activity, headers)
        if activity["type"] == "invoke":
            if status != 200 or body is None or body.get("type") != "application/vnd.microsoft.card.adaptive":
                raise WrongResult(f"a submit answered {status} {body!r:.200}")
        elif status != 201:
            raise WrongResult(f"a message answered {status}")

    await asyncio.gather(*(one(activity) for activity in activities))
    await rig.desk.delivered()


async def measure(args: argparse.Namespace, rig: Rig) -> tuple[Table, list[str]]:
    headers = rig.headers()
    warm = max(10, args.turns // 10)
    activities = await prepare(rig, args.kind, warm + args.turns, headers)
    await drive(rig, activities[:warm], args.concurrency, headers)
    rig.foreign |= {t.native_id for t in threading.enumerate() if t.name.startswith(("local-connector", "emulator"))}
    collections = GcWatch()
    gc.callbacks.append(collections.callback)
    spy = start_pyspy(args) if args.profile == "pyspy" else None
    profile = cProfile.Profile() if args.profile == "cprofile" else None
    sent_before, before, wall = len(rig.connector.sent), thread_cpu(), time.perf_counter()
    if profile:
        profile.enable()
    await drive(rig, activities[warm:], args.concurrency, headers)
    if profile:
        profile.disable()
    wall, after = time.perf_counter() - wall, thread_cpu()
    gc.callbacks.remove(collections.callback)
    stop_pyspy(spy)
    if args.kind == "submit":
        tickets = await rig.desk.runtime.db.run(lambda cx: cx.one("SELECT COUNT(*) AS n FROM tickets"))
        if tickets is None or tickets["n"] != len(activities):
            raise WrongResult(f"{len(activities)} submits made {tickets} tickets")
    loop_thread = threading.main_thread().native_id or 0
    used = {tid: after[tid] - before.get(tid, 0.0) for tid in after}
    app = sum(cpu for tid, cpu in used.items() if tid not in rig.foreign)
    n = args.turns
    table = Table(f"CPU per {args.kind} turn, {n} turns, {args.concurrency} in flight", ("ms per turn",))
    table.add("app, all threads", **{"ms per turn": 1000 * app / n})
    table.add("  event loop (and the test client)", **{"ms per turn": 1000 * used.get(loop_thread, 0.0) / n})
    table.add("  other app threads (database, SDK HTTP)", **{"ms per turn": 1000 * (app - used[loop_thread]) / n})
    table.add("  of which garbage collection", **{"ms per turn": 1000 * sum(collections.seconds) / n})
    table.add("connector, emulator, OpenID", **{"ms per turn": 1000 * sum(used.get(t, 0.0) for t in rig.foreign) / n})
    table.notes += [
        f"{n / wall:.0f} turns/s under the profiler ({args.profile}); connector requests "
        f"{len(rig.connector.sent) - sent_before}; OpenID requests in all {len(rig.openid.requests())}",
        f"garbage collections by generation {collections.counts}",
    ]
    return table, profile_lines(args, profile)


def profile_lines(args: argparse.Namespace, profile: cProfile.Profile | None) -> list[str]:
    if profile is not None:
        if args.stats:
            profile.dump_stats(args.stats)
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
        return out.getvalue().splitlines()
    if args.profile == "pyspy" and args.stats and Path(args.stats).exists():
        return pyspy_summary(Path(args.stats), args.top)
    return []


def start_pyspy(args: argparse.Namespace) -> subprocess.Popen[bytes] | None:
    binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(binary).exists():
        print("py-spy is not installed (pip install py-spy): no sampling profile", file=sys.stderr)
        return None
    args.stats = args.stats or str(Path(tempfile.gettempdir()) / f"turn_cost_{os.getpid()}.speedscope.json")
    command = [binary, "record", "--pid", str(os.getpid()), "--format", "speedscope", "--output", args.stats]
    spy = subprocess.Popen([*command, "--rate", "250", "--threads", "--nonblocking"], stdout=subprocess.DEVNULL)
    time.sleep(1.0)  # let it attach
    return spy


def stop_pyspy(spy: subprocess.Popen[bytes] | None) -> None:
    if spy is not None:
        spy.send_signal(2)
        spy.wait(timeout=60)


def pyspy_summary(path: Path, top: int) -> list[str]:
    """Each busy thread's functions by own samples and by inclusive samples (py-spy's speedscope file)."""
    document = json.loads(path.read_text())
    frames = document["shared"]["frames"]

    def name(index: int) -> str:
        frame = frames[index]
        return f"{frame['name']} ({Path(frame.get('file') or '?').name}:{frame.get('line')})"

    lines = [f"py-spy samples: {path}"]
    for thread in document["profiles"]:
        samples = thread["samples"]
        if len(samples) < 20:
            continue
        own = Counter(stack[-1] for stack in samples)
        inclusive = Counter(frame for stack in samples for frame in set(stack))
        lines.append(f"== {thread['name']}: {len(samples)} samples")
        lines += [f"  own {100 * c / len(samples):5.1f}%  {name(i)}" for i, c in own.most_common(top)]
        lines += [f"  all {100 * c / len(samples):5.1f}%  {name(i)}" for i, c in inclusive.most_common(top + 8)]
    return lines


async def run(args: argparse.Namespace, folder: Path) -> tuple[Table, list[str]]:
    connector = with_demo_roster(LocalConnector().start())
    key = new_signing_key("teams-key-1")
    openid = OpenIdServer(keys=[key]).start()
    emulator = EmulatorServer(EmulatorState(), folder / "tls").start()
    emulator.state.apps[BOT_APP_ID] = BOT_PASSWORD
    foreign = {t.native_id or 0 for t in threading.enumerate() if t is not threading.main_thread()}
    try:
        settings = Settings.from_env(production_env(folder, connector, emulator, openid.metadata_url), env_file=None)
        desk = await start_desk(settings, connector)
        try:
            return await measure(args, Rig(desk, connector, openid, key, foreign))
        finally:
            await desk.close()
    finally:
        emulator.stop()
        openid.stop()
        connector.stop()


def main() -> int:
    parser = arguments((__doc__ or "").splitlines()[0])
    parser.add_argument("--turns", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--kind", choices=("submit", "help"), default="submit")
    parser.add_argument("--profile", choices=("cprofile", "pyspy", "none"), default="cprofile")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--stats", metavar="FILE", help="keep the profile: pstats (cprofile) or speedscope (pyspy)")
    args = parser.parse_args()
    if args.small:
        args.turns, args.profile, args.top = 30, "cprofile", 5
    with tempfile.TemporaryDirectory() as folder:
        try:
            table, lines = asyncio.run(run(args, Path(folder)))
        except WrongResult as error:
            print(f"wrong result: {error}", file=sys.stderr)
            return 1
    publish("turn_cost", [table], args.json, profile=lines)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
