"""Benchmark of turns with authentication on: the desk's `help`, customer relay, new-ticket form and ticket submit,
beside a stock Bot Framework echo bot (the baseline) and a plain aiohttp handler (the floor), each bot in its own
process on loopback, driven by the same client with the same reused channel tokens.

    python -m bench.turns [--turns 2000] [--seconds 20] [--in-flight 16] [--engine sqlite|postgresql]
                          [--customers mixed|healthy] [--kinds floor,echo,...] [--small] [--json FILE] [--keep DIR]

Tokens are signed locally and checked by each bot against local OpenID metadata (bench/turns_fakes.py); replies go
to a local Bot Connector; the bots' own tokens come from the emulator's Entra ID. Per row: turns/s, p50 and p99
latency, the bot process's CPU per turn and its resident memory at rest (started, no turn yet) and after the row;
a row sends up to --turns turns but starts none after --seconds. Each row's customers write from personal chats,
each customer on one of the --in-flight lanes (one turn at a time, as people type).
Every turn answered 2xx is checked (bench/turns_checks.py): its reply reached the connector once; a submit answered
with the new ticket's card, and the database holds one ticket per submitted form and one queued triage card per
ticket; a relayed message is stored once on the ticket with one queued thread post. Exits 1 when a check fails,
never because of a time.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import Table, arguments, publish
from bench.turns_checks import Checks, check_replies
from bench.turns_client import CUSTOMER_TENANTS, Lanes, messages, tokens
from bench.turns_desk import DESK_KINDS, DeskScenarios
from bench.turns_fakes import KEY_ID
from bench.turns_runs import Run, Runner
from bench.turns_servers import Bot, sdk_env, start_bot, start_fakes
from tests.support.tokens import new_signing_key

DEFAULT_TURNS = 2000
SMALL_TURNS = 32
KINDS = ("floor", "echo", "echo-reused-token", *DESK_KINDS)
BASELINE = "stock echo bot"
ECHO_ROWS = {"echo": BASELINE, "echo-reused-token": "echo bot, token reused"}
DEFAULT_SECONDS = 20.0


@dataclass
class Options:
    turns: int = DEFAULT_TURNS
    in_flight: int = 16
    floor_turns: int = 10 * DEFAULT_TURNS
    engine: str = "sqlite"
    kinds: tuple[str, ...] = KINDS
    seconds: float | None = DEFAULT_SECONDS  # a measured row starts no turn after this long (None: no limit)
    customers: str = "mixed"  # whose tenants the customers are in: CUSTOMER_TENANTS
    desk_command: tuple[str, ...] = ("app.py",)  # how the desk is started, after `python`
    # Entered around the measured part of each desk row, with the desk's process (bench/profile.py samples it).
    around_desk: Callable[[Bot, str], AbstractContextManager[Any]] = lambda bot, kind: nullcontext()


@dataclass
class Outcome:
    runs: list[Run] = field(default_factory=list)
    checks: Checks = field(default_factory=Checks)
    tickets: int = 0


def bench(options: Options, folder: Path) -> Outcome:
    """Run the rows of `options.kinds` in `folder`; returns every measured run and the failed checks."""
    key = new_signing_key(KEY_ID)
    fakes = start_fakes(folder, key)
    outcome = Outcome()
    try:
        lanes = Lanes(options.in_flight, 4, CUSTOMER_TENANTS[options.customers])
        runner = Runner(fakes, tokens(key, fakes.connector), outcome.checks, outcome.runs, options.seconds)
        runner.add_to_roster(lanes.customers())
        if "floor" in options.kinds:
            floor(runner, lanes, folder, options.floor_turns)
        for kind, name in ECHO_ROWS.items():
            if kind in options.kinds:
                echo(runner, lanes, folder, options.turns, name, reuse=kind != "echo")
        desk = DeskScenarios(runner, lanes, folder, options)
        for kind in DESK_KINDS:
            if kind in options.kinds:
                outcome.tickets += desk.run(kind, options.turns)
    finally:
        fakes.stop()
        if options.engine == "postgresql":
            from tests.support.engines import SCHEMAS

            SCHEMAS.drop_all()  # the desks' schemas (tests/support/engines.py made them)
    return outcome


def floor(runner: Runner, lanes: Lanes, folder: Path, turns: int) -> None:
    bot = start_bot("floor", [sys.executable, "-m", "bench.floor"], {}, folder)
    try:
        runner.turns(bot, "plain aiohttp handler", messages(lanes, runner.service_url, turns, lambda lane, k: "help"))
    finally:
        bot.stop()


def echo(runner: Runner, lanes: Lanes, folder: Path, turns: int, name: str, reuse: bool) -> None:
    env = {**sdk_env(runner.fakes), "REQUESTS_CA_BUNDLE": runner.fakes.ca_file}  # MSAL's requests trust the emulator
    env["ECHO_REUSE_CREDENTIALS"] = "1" if reuse else "0"
    bot = start_bot("echo-reused" if reuse else "echo", [sys.executable, "-m", "bench.echo_bot"], env, folder)
    try:
        url = runner.service_url
        runner.turns(bot, "", messages(lanes, url, 2 * lanes.count, lambda lane, k: f"warm {k}"), measure=False)
        results, sent = runner.turns(bot, name, messages(lanes, url, turns, lambda lane, k: f"hello {lane}-{k}"))
        texts = {(r.activity["conversation"]["id"], r.activity["id"]): r.activity["text"] for r in results}
        check_replies(
            runner.checks,
            name,
            results,
            sent,
            lambda item: item["text"] == f"echo: {texts.get((item['conversation'], item['reply_to']))}",
        )
    finally:
        bot.stop()


def table(outcome: Outcome, options: Options) -> Table:
    rows = Table(
        f"Turns with authentication on, {options.in_flight} in flight, database {options.engine}, "
        f"customers {options.customers}",
        ("turns", "non-2xx", "turns/s", "p50 ms", "p99 ms", "CPU ms/turn", "RSS rest MB", "RSS after MB"),
        baseline=BASELINE if any(run.name == BASELINE for run in outcome.runs) else None,
        ratio_of="turns/s",
    )
    for run in outcome.runs:
        rows.add(run.name, **run.figures())
    rows.notes.append("CPU and RSS: the bot's process only (not the client's, nor the connector's or Entra ID's).")
    rows.notes.append(
        "Stock echo bot: new credentials, so one token request to Entra ID, per turn, as the SDK does; "
        "'token reused': the same bot with one credentials object (bench/echo_bot.py)."
    )
    rows.notes.append(
        "Desk: each scenario on a fresh desk process; what its turns queue (triage cards, thread posts, incident "
        "notices) the outbox sends in the background at Teams' pace, and what it sends during a row counts there."
    )
    if outcome.checks.failures:
        rows.notes += [f"CHECK FAILED: {failure}" for failure in outcome.checks.failures]
    else:
        rows.notes.append("Checks: every 2xx turn got its reply; every submit made one ticket and queued one card.")
    return rows


def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, help=f"turns per row (default {DEFAULT_TURNS}, --small {SMALL_TURNS})")
    parser.add_argument("--in-flight", type=int, default=16, help="requests in flight (default 16)")
    parser.add_argument("--floor-turns", type=int, help="turns of the plain handler (default 10 x --turns)")
    parser.add_argument(
        "--seconds",
        type=float,
        default=DEFAULT_SECONDS,
        help=f"a row starts no turn after this long, 0 for no limit (default {DEFAULT_SECONDS:.0f})",
    )
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite", help="the desk's database")
    parser.add_argument(
        "--customers",
        choices=sorted(CUSTOMER_TENANTS),
        default="mixed",
        help="mixed: 2 of 3 customers' tenants have an active incident (as in an outage); healthy: none",
    )
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"rows to run, of {','.join(KINDS)}")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="run in DIR and keep it (the processes' logs)")
    args = parser.parse_args()
    turns = args.turns or (SMALL_TURNS if args.small else DEFAULT_TURNS)
    kinds = tuple(kind for kind in args.kinds.split(",") if kind)
    if unknown := set(kinds) - set(KINDS):
        parser.error(f"unknown rows: {', '.join(sorted(unknown))}")
    options = Options(
        turns, args.in_flight, args.floor_turns or 10 * turns, args.engine, kinds, args.seconds or None, args.customers
    )
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=False)
        outcome = bench(options, args.keep.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="bench-turns-") as folder:
            outcome = bench(options, Path(folder))
    publish("turns", [table(outcome, options)], args.json, checks_failed=outcome.checks.failures)
    return 1 if outcome.checks.failures else 0


if __name__ == "__main__":
    sys.exit(main())
