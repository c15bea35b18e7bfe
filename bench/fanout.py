"""Fan-out: one incident notice to many customers' personal chats, through the outbox: `python -m bench.fanout`.

The real app (local mode, the SDK adapter, the outbox sender) queues one notice per chat in one transaction and
delivers them to a local connector on loopback that enforces Teams' limits (bench/teams_connector.py: 7/1 s, 8/2 s,
60/30 s, 1,800/h per personal chat, 30/s per tenant) and answers a seeded fraction of sends 429 at random. The notice
is the one a customer gets when their ticket matches a Microsoft incident (bot/features/incident_links.py); the health
monitor itself posts one card to the triage channel (bot/jobs/monitor.py), so the fan-out is queued the way the desk
queues anything it announces — `desk.queue`, one transaction, then the sender is woken — as the monitor's
`record_incidents` does.

Figures: the wall time from queueing to the last accepted send, next to the Teams floor (bench/fanout_floor.py); 429s
answered (at random, and for a limit); CPU and RSS at rest and after. Checked: every chat got its notice exactly
once and every outbox row is sent — the command exits 1 otherwise (never on a time); sends refused for a limit are
reported.

On SQLite by default; with DESK_TEST_POSTGRES set (bench/ci.py under tests.support.pg_server), on PostgreSQL too.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from app import create_app
from bench.common import Table, arguments, cpu_seconds, publish, rss_mb
from bench.fanout_floor import floor_seconds
from bench.teams_connector import RANDOM_RETRY_AFTER, TeamsLimitsConnector, over_limits, unlucky
from bot.edge.web import RUNTIME
from bot.outbox.send_policy import SendPolicy
from bot.runtime import Runtime
from bot.turns.conversations import record_of_json
from cards.render import text_message
from desk.clock import from_iso_not_null, utc_now
from desk.i18n import Translator
from desk.outbox import Operation, Outgoing
from desk.store.outbox import CONVERSATION_PACE, TENANT_PACE
from tests.support.activities import Chat, TeamsUser
from tests.support.engines import SCHEMAS, postgres_server_url
from tests.support.harness import local_settings
from tests.support.pg_server import URL_VARIABLE


@dataclass
class Outcome:
    """One run's figures and checks."""

    engine: str
    seconds: float
    messages: int
    requests: int
    random_429: int
    limit_429: int
    lost: int
    duplicated: int
    failed_rows: int
    connector_over: list[str]  # windows the connector's accepted sends exceeded (the connector is broken)
    desk_over: list[str]  # keys whose slots in the desk's log exceed Teams' limits
    floor: float
    rss_rest: float
    rss_after: float
    cpu: float

    @property
    def wrong(self) -> list[str]:
        """What the run got wrong: a notice lost, sent twice or left unsent, or the connector letting a send through
        beyond a limit. The command exits 1 on any."""
        problems = [f"{self.lost} chats never got the notice"] if self.lost else []
        problems += [f"{self.duplicated} chats got it more than once"] if self.duplicated else []
        problems += [f"{self.failed_rows} outbox rows not sent"] if self.failed_rows else []
        return problems + [f"the connector let through more than the limit: {each}" for each in self.connector_over]

    @property
    def notes(self) -> list[str]:
        """What shows the desk sent faster than Teams counts. It depends on timing (a send under way for more than a
        second, on a starved machine), so it is reported, not failed on — the test at a tiny size asserts it."""
        notes = [f"{self.limit_429} sends refused for exceeding Teams' limits"] if self.limit_429 else []
        return notes + [f"the desk's own log exceeds Teams' limits for {key}" for key in self.desk_over]


def tenants_and_chats(chats: int, tenants: int, service_url: str) -> list[Chat]:
    """`chats` personal chats spread evenly over `tenants` made-up customer tenants."""
    made = []
    for number in range(chats):
        tenant = f"00000000-0000-4000-a000-{number % tenants:012d}"
        aad_id = f"00000000-0000-4000-8000-{number:012d}"
        made.append(Chat(TeamsUser(f"29:{aad_id}", aad_id, f"User {number}", tenant, "u@example.com"), service_url))
    return made


def notice(chat: Chat, number: int) -> Outgoing:
    """The customer notice of a Microsoft incident (bot/features/incident_links.py's words)."""
    t = Translator("en")
    status = t("health.status.serviceDegradation")
    words = {"number": f"T-{1000 + number}", "id": "EX123456", "title": "Exchange Online mail delay", "status": status}
    text = t("incident.customer_notice", **words)
    return Outgoing(chat.conversation_id, Operation.POST, text_message(text))


async def wait_for(connector: TeamsLimitsConnector, chats: list[Chat], limit: float) -> bool:
    """Wait until every chat has at least one accepted send; False after `limit` seconds without."""
    deadline = time.monotonic() + limit
    keys = [chat.conversation_id for chat in chats]
    while any(not connector.accepted.get(key) for key in keys):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True


async def run_once(engine: str, chats: int, tenants: int, random_429: float, seed: int) -> Outcome:
    """One fan-out, with the sender's warning per 429 it is told to retry silenced meanwhile (and only meanwhile:
    a test runs this in the test process, whose other tests read the logs)."""
    silenced = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        return await _run_once(engine, chats, tenants, random_429, seed)
    finally:
        logging.disable(silenced)


async def _run_once(engine: str, chats: int, tenants: int, random_429: float, seed: int) -> Outcome:
    with tempfile.TemporaryDirectory() as folder:
        tenant_of: dict[str, str] = {}
        connector = TeamsLimitsConnector(tenant_of, random_429=random_429, seed=seed)
        connector.start()
        url = {} if engine == "postgresql" else {"DATABASE_URL": f"sqlite:///{folder}/desk.db"}
        client = TestClient(TestServer(create_app(local_settings(Path(folder), connector, **url), utc_now)))
        try:
            await client.start_server()
            runtime: Runtime = client.app[RUNTIME]
            made = tenants_and_chats(chats, tenants, connector.url)
            for chat in made:
                tenant_of[chat.conversation_id] = chat.sender.tenant_id
                await runtime.services.desk.save_conversation(record_of_json(chat.message("hi")))
            rss_rest, cpu_before = rss_mb(), cpu_seconds()
            started = time.monotonic()
            await runtime.services.desk.queue([notice(chat, n) for n, chat in enumerate(made)])
            windows = math.ceil(chats / tenants / 30) + 1
            arrived = await wait_for(connector, made, 60 + 10 * windows)  # the lost are counted below
            seconds = time.monotonic() - started if arrived else math.inf
            rows = await settle(runtime, 30.0)
            paced = await paced_over(runtime)
            return outcome(engine, connector, made, rows, seconds, rss_rest, cpu_seconds() - cpu_before, paced)
        finally:
            await client.close()
            connector.stop()


async def paced_over(runtime: Runtime) -> list[str]:
    """The desk's own record of its sends (the shared rate limiter's slots): every key whose slots exceed Teams'
    limits somewhere (none: the desk never meant to send faster than Teams allows, whatever the transit did)."""
    rows = await runtime.db.read(lambda cx: cx.all("SELECT key, at FROM rate_limit_slots"))
    slots: dict[str, list[float]] = {}
    for row in rows:
        slots.setdefault(row["key"], []).append(from_iso_not_null(row["at"]).timestamp())
    policy = SendPolicy()
    limits = {TENANT_PACE: policy.tenant_limits, CONVERSATION_PACE: policy.conversation_limits("personal")}
    return [
        key
        for key, at in slots.items()
        for prefix, windows in limits.items()
        if key.startswith(prefix) and over_limits(at, windows)
    ]


async def settle(runtime: Runtime, limit: float) -> dict[str, int]:
    """The outbox's rows by status once nothing is pending (or after `limit` seconds)."""
    deadline = time.monotonic() + limit
    while True:
        rows = await runtime.db.read(
            lambda cx: {r["status"]: r["n"] for r in cx.all("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")}
        )
        if not rows.get("pending") or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.05)


def outcome(
    engine: str,
    connector: TeamsLimitsConnector,
    made: list[Chat],
    rows: dict[str, int],
    seconds: float,
    rss_rest: float,
    cpu: float,
    paced: list[str],
) -> Outcome:
    got = [len(connector.accepted.get(chat.conversation_id, [])) for chat in made]
    by_tenant: dict[str, list[str]] = {}
    for chat in made:
        by_tenant.setdefault(chat.sender.tenant_id, []).append(chat.conversation_id)

    def refused(conversation: str, attempt: int) -> bool:
        return unlucky(connector.seed, connector.random_429, conversation, attempt)

    return Outcome(
        engine=engine,
        seconds=seconds,
        messages=len(made),
        requests=sum(connector.requests.values()),
        random_429=sum(connector.random_refused.values()),
        limit_429=sum(connector.over_limit.values()),
        lost=sum(1 for n in got if n == 0),
        duplicated=sum(1 for n in got if n > 1),
        failed_rows=sum(n for status, n in rows.items() if status != "sent"),
        connector_over=connector.exceeded(),
        desk_over=paced,
        floor=floor_seconds(by_tenant, refused, SendPolicy().tenant_limits, RANDOM_RETRY_AFTER),
        rss_rest=rss_rest,
        rss_after=rss_mb(),
        cpu=cpu,
    )


def table(results: list[Outcome], chats: int, tenants: int, random_429: float) -> Table:
    title = f"Fan-out: one notice to {chats:,} personal chats in {tenants} tenants, {random_429:.0%} random 429s"
    columns: tuple[str, ...] = ("seconds", "x floor", "requests", "429 random", "429 limit", "lost", "duplicated")
    columns += ("cpu s", "rss rest MB", "rss after MB")
    out = Table(title, columns, baseline="Teams floor", ratio_of="seconds", higher_is_better=False)
    out.add("Teams floor", seconds=results[0].floor, **{"x floor": 1.0})
    for r in results:
        out.add(
            f"desk ({r.engine})",
            seconds=r.seconds,
            requests=r.requests,
            lost=r.lost,
            duplicated=r.duplicated,
            **{
                "x floor": r.seconds / r.floor if r.floor else None,
                "429 random": r.random_429,
                "429 limit": r.limit_429,
                "cpu s": r.cpu,
                "rss rest MB": r.rss_rest,
                "rss after MB": r.rss_after,
            },
        )
    out.notes.append(
        "floor: an ideal sender at 30 sends per tenant in any 1 s (the desk's limit), in the desk's order, a refused"
        " send retried exactly its Retry-After later — per tenant (ceil((messages + random 429s) / 30) - 1) s, plus"
        " 1 s for each round of refusals among the last sends (bench/fanout_floor.py); the slowest tenant's"
    )
    out.notes.append("×baseline is floor / measured (1.00 = at the floor); 'x floor' is measured / floor")
    return out


def main() -> int:
    parser = arguments(__doc__)
    parser.add_argument("--chats", type=int, default=1000, help="personal chats, one notice each")
    parser.add_argument("--tenants", type=int, default=4, help="customer tenants the chats are spread over")
    parser.add_argument("--random-429", type=float, default=0.02, help="fraction of sends answered 429 at random")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), help="default: both when possible")
    args = parser.parse_args()
    chats = 100 if args.small else args.chats
    engines = engine_list(args)
    results = []
    for engine in engines:
        try:
            results.append(asyncio.run(run_once(engine, chats, args.tenants, args.random_429, args.seed)))
        finally:
            SCHEMAS.drop_all()  # the PostgreSQL run's schema
    publish("fanout", [table(results, chats, args.tenants, args.random_429)], args.json)
    for note in [f"{r.engine}: {n}" for r in results for n in r.notes]:
        print(f"NOTE {note}", file=sys.stderr)
    problems = [f"{r.engine}: {p}" for r in results for p in r.wrong]
    for problem in problems:
        print(f"WRONG {problem}", file=sys.stderr)
    return 1 if problems else 0


def engine_list(args: argparse.Namespace) -> list[str]:
    if args.engine in ("sqlite", "postgresql"):
        if args.engine == "postgresql" and not postgres_server_url():
            raise SystemExit(f"PostgreSQL needs {URL_VARIABLE} (python -m tests.support.pg_server -- ...)")
        return [args.engine]
    return ["sqlite", "postgresql"] if os.environ.get(URL_VARIABLE) else ["sqlite"]


if __name__ == "__main__":
    sys.exit(main())
