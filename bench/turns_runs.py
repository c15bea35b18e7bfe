"""One run of bench/turns.py: send lanes of activities to a bot, measure it (wall time, latencies, the bot process's
CPU and memory) and collect what the bot sent to the connector meanwhile."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from dataclasses import dataclass
from typing import Any

from bench.common import cpu_seconds, percentile, rss_mb
from bench.turns_checks import Checks, Sent, sent_count, sent_since
from bench.turns_client import Result, drive
from bench.turns_servers import Bot, Fakes
from tests.support.activities import TeamsUser


@dataclass
class Run:
    """A measured run."""

    name: str
    results: list[Result]
    wall: float
    cpu: float  # seconds of the bot process's CPU during the run
    rss_rest: float
    rss_after: float

    def figures(self) -> dict[str, Any]:
        seconds = [result.seconds for result in self.results]
        turns = len(self.results)
        return {
            "turns": turns,
            "non-2xx": sum(not result.ok for result in self.results),
            "turns/s": turns / self.wall if self.wall else 0.0,
            "p50 ms": 1000 * percentile(seconds, 0.5),
            "p99 ms": 1000 * percentile(seconds, 0.99),
            "CPU ms/turn": 1000 * self.cpu / turns if turns else 0.0,
            "RSS rest MB": self.rss_rest,
            "RSS after MB": self.rss_after,
        }


class Runner:
    """Drives bots with the shared tokens and records the measured runs."""

    def __init__(self, fakes: Fakes, tokens: list[str], checks: Checks, runs: list[Run], seconds: float | None) -> None:
        self.fakes = fakes
        self.seconds = seconds  # a measured run starts no turn after this long
        self.tokens = tokens
        self.checks = checks
        self.runs = runs
        self.rest: dict[int, float] = {}  # RSS of each bot process before its first turn

    @property
    def service_url(self) -> str:
        return self.fakes.connector

    def add_to_roster(self, people: list[TeamsUser]) -> None:
        """Make `people` members the connector's roster answers for (their e-mail, their tenant)."""
        request = urllib.request.Request(
            f"{self.fakes.connector.rstrip('/')}/bench/roster",
            data=json.dumps([person.member() for person in people]).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60):
            pass

    def turns(
        self, bot: Bot, name: str, lanes: list[list[dict[str, Any]]], measure: bool = True
    ) -> tuple[list[Result], list[Sent]]:
        """Send the lanes to `bot`; record a Run named `name` when `measure`; returns the results and what the bot
        sent to the connector from the start of the run until every answer was in. Only a measured run stops
        early (after `seconds`): set-ups need all their turns."""
        rest = self.rest.setdefault(bot.pid, rss_mb(bot.pid))
        start = sent_count(self.service_url)
        cpu_before = cpu_seconds(bot.pid)
        results, wall = asyncio.run(drive(bot.url, lanes, self.tokens, self.seconds if measure else None))
        cpu = cpu_seconds(bot.pid) - cpu_before
        if measure:
            self.runs.append(Run(name, results, wall, cpu, rest, rss_mb(bot.pid)))
        return results, sent_since(self.service_url, start)
