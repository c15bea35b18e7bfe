"""Head-of-line blocking in the outbox sender, before and after issue 11: `python -m bench.outbox`.

Two scenarios, each run with the old scheduling (bench/outbox_baseline.py: a pass waits for its slowest head) and
with today's sender, in the real app (local mode, SQLite, the SDK adapter) against a local connector on loopback:

- throttled: one personal chat has used up Teams' hourly window (it opens again in --hold seconds); --others chats
  over three tenants get --messages messages each. Figure: seconds until every other chat has all its messages.
- tenant: --crowd chats of one tenant are queued ahead of one chat of another tenant. Figure: seconds until that
  other tenant's message arrives.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from app import create_app
from bench.outbox_baseline import BaselineSender
from bot.edge.web import RUNTIME
from bot.outbox.teams_send import TeamsSend
from bot.runtime import Runtime
from bot.turns.conversations import record_of_json
from desk.clock import utc_now
from desk.outbox import Operation, Outgoing
from emulator import demo
from tests.support.activities import Chat, TeamsUser
from tests.support.connector import LocalConnector, Reply
from tests.support.harness import local_settings
from tests.support.outbox_trace import record_delivered


class StampingConnector(LocalConnector):
    """The tests' local connector, noting when each request arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[str, float]] = []
        self._stamps = threading.Lock()

    def _record(self, request: web.Request, body: dict[str, Any], conversation: str) -> Reply | None:
        with self._stamps:
            self.arrivals.append((conversation, time.monotonic()))
        return super()._record(request, body, conversation)

    def count(self, wanted: Callable[[str], bool]) -> int:
        with self._stamps:
            return sum(1 for conversation, _ in self.arrivals if wanted(conversation))


@dataclass
class Run:
    """A desk with one of the two schedulers delivering."""

    runtime: Runtime
    connector: StampingConnector
    baseline: BaselineSender | None


def chat(connector: LocalConnector, number: int, tenant: demo.DemoTenant) -> Chat:
    aad_id = f"00000000-0000-4000-8000-{number:012d}"
    return Chat(TeamsUser(f"29:{aad_id}", aad_id, f"User {number}", tenant.tenant_id, "u@example.com"), connector.url)


async def remember(run: Run, chats: list[Chat]) -> None:
    for each in chats:
        await run.runtime.services.desk.save_conversation(record_of_json(each.message("hi")))


async def throttle(run: Run, key: str, hold: float) -> None:
    """Use up the chat's hourly window (1,800 sends) so that it opens again in `hold` seconds."""
    if run.baseline is not None:  # the old design kept the window in memory
        mono = time.monotonic()
        first = mono - 3600 + hold
        run.baseline.conversations.slots[key] = deque(first + n * (3600 - hold - 1) / 1799 for n in range(1800))
        return
    oldest = utc_now() - timedelta(seconds=3600 - hold)
    moments = [oldest + timedelta(seconds=n * (3600 - hold - 1) / 1799) for n in range(1800)]
    await record_delivered(run.runtime.db, key, moments)


async def until(connector: StampingConnector, wanted: Callable[[str], bool], count: int, limit: float) -> float:
    """Seconds until `count` requests matching `wanted` arrived (or `limit`, reported as such)."""
    started = time.monotonic()
    while connector.count(wanted) < count:
        if time.monotonic() - started > limit:
            return float("inf")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


def text(to: Chat, words: str) -> Outgoing:
    return Outgoing(to.conversation_id, Operation.POST, {"type": "message", "text": words})


async def throttled(run: Run, others: int, messages: int, hold: float) -> float:
    slow = chat(run.connector, 0, demo.FABRIKAM)
    tenants = (demo.FABRIKAM, demo.NORTHWIND, demo.ADVENTURE_WORKS)
    rest = [chat(run.connector, n, tenants[n % 3]) for n in range(1, others + 1)]
    await remember(run, [slow, *rest])
    await throttle(run, slow.conversation_id, hold)
    keys = {each.conversation_id for each in rest}
    queued = [text(slow, "after the storm")]
    queued += [text(each, f"message {m}") for m in range(messages) for each in rest]
    await run.runtime.services.desk.queue(queued)
    return await until(run.connector, keys.__contains__, others * messages, hold + 60)


async def tenant(run: Run, crowd: int) -> float:
    many = [chat(run.connector, n, demo.FABRIKAM) for n in range(crowd)]
    loner = chat(run.connector, crowd, demo.NORTHWIND)
    await remember(run, [*many, loner])
    await run.runtime.services.desk.queue([*(text(each, "maintenance") for each in many), text(loner, "your ticket")])
    return await until(run.connector, loner.conversation_id.__eq__, 1, crowd / 30 + 60)


async def measure(old: bool, scenario: Callable[[Run], Any]) -> float:
    logging.disable(logging.WARNING)
    connector = StampingConnector()
    connector.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            client = TestClient(TestServer(create_app(local_settings(Path(folder), connector), utc_now)))
            await client.start_server()
            runtime = client.app[RUNTIME]
            baseline, task = None, None
            try:
                if old:
                    runtime.sender.stop()
                    await next(t for t in runtime.tasks if t.get_name() == "outbox-sender")
                    teams = TeamsSend(runtime.adapter, runtime.db, runtime.settings.bot.app_id)
                    baseline = BaselineSender(teams, runtime.db, utc_now)
                    task = asyncio.create_task(baseline.run())
                return float(await scenario(Run(runtime, connector, baseline)))
            finally:
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                await client.close()
    finally:
        connector.stop()


def line(name: str, before: float, after: float) -> str:
    ratio = f"{before / after:.0f}x faster" if after > 0 and before != float("inf") else "n/a"
    return f"{name:<64} before {before:8.2f} s   after {after:6.2f} s   ({ratio})"


async def main(arguments: argparse.Namespace) -> None:
    def scenario_a(run: Run) -> Any:
        return throttled(run, arguments.others, arguments.messages, arguments.hold)

    def scenario_b(run: Run) -> Any:
        return tenant(run, arguments.crowd)

    a = [await measure(old, scenario_a) for old in (True, False)]
    b = [await measure(old, scenario_b) for old in (True, False)]
    name_a = f"throttled: {arguments.others} chats x {arguments.messages} msgs, one chat held {arguments.hold:.0f} s"
    print(line(name_a, *a))
    print(line(f"tenant: 1 chat of a tenant queued behind {arguments.crowd} of another", *b))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--others", type=int, default=90, help="chats besides the throttled one")
    parser.add_argument("--messages", type=int, default=3, help="messages to each of them")
    parser.add_argument("--hold", type=float, default=20.0, help="seconds until the throttled chat may send again")
    parser.add_argument("--crowd", type=int, default=240, help="chats of the busy tenant")
    asyncio.run(main(parser.parse_args()))
