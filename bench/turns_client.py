"""The client of bench/turns.py: Teams' side of the turns. Activities from customers in their personal chats, each
customer on one lane (a lane is one request in flight: a customer never has two turns running at once, as a person
types one message after another), signed with a few channel tokens that every request reuses (Teams reuses one
token for many activities)."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from emulator import demo
from tests.support.activities import Channel, Chat, TeamsUser, user
from tests.support.production import BOT_APP_ID
from tests.support.tokens import SigningKey, channel_claims, sign

TOKENS = 4
# Customers of the demo partner whose Graph the emulator serves (Tailspin has not consented to the partner's app):
# "mixed" as in an outage, two of three with an active incident (a new ticket of theirs is linked to it and the
# customer told, through the outbox); "healthy" none (Adventure Works).
CUSTOMER_TENANTS = {
    "mixed": (demo.FABRIKAM, demo.NORTHWIND, demo.ADVENTURE_WORKS),
    "healthy": (demo.ADVENTURE_WORKS,),
}
TICKET = {
    "product": "microsoft365",
    "service": "Exchange Online",
    "severity": "moderate",
    "title": "Mail is slow",
    "description": "Messages take ten minutes to arrive since this morning.",
    "contact": "bench@example.com",
}
TRIAGE = Channel("19:bench-team@thread.tacv2", "19:bench-triage@thread.tacv2", "")


def tokens(key: SigningKey, service_url: str) -> list[str]:
    """A few valid channel tokens for `service_url`, each to be reused by many requests."""
    return [sign(channel_claims(BOT_APP_ID, service_url, jti=str(uuid.uuid4())), key) for _ in range(TOKENS)]


def customer(index: int, tenants: tuple[demo.DemoTenant, ...]) -> TeamsUser:
    """A synthetic customer user (the demo tenants have few), in one of `tenants`."""
    tenant = tenants[index % len(tenants)]
    aad_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"partner-desk-bench/{index}"))
    name, email = f"Bench Customer {index}", f"bench{index}@{tenant.domain}"
    return TeamsUser(f"29:{aad_id}", aad_id, name, tenant.tenant_id, email)


@dataclass(frozen=True)
class Lanes:
    """`per_lane` customers for each of `count` lanes; lane n's customers are n, n + count, ..."""

    count: int
    per_lane: int = 1
    tenants: tuple[demo.DemoTenant, ...] = CUSTOMER_TENANTS["mixed"]

    def chats(self, lane: int, service_url: str) -> list[Chat]:
        return [Chat(customer(lane + k * self.count, self.tenants), service_url) for k in range(self.per_lane)]

    def customers(self) -> list[TeamsUser]:
        return [customer(n, self.tenants) for n in range(self.count * self.per_lane)]


def technician() -> TeamsUser:
    return user(demo.PARTNER, 0)


@dataclass
class Result:
    """One request and its answer (status 0: no answer, the connection failed or timed out)."""

    activity: dict[str, Any]
    status: int
    seconds: float
    body: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


async def drive(
    url: str, lanes: list[list[dict[str, Any]]], tokens: list[str], seconds: float | None = None
) -> tuple[list[Result], float]:
    """Send each lane's activities in order, all lanes at once (one request in flight per lane), starting none after
    `seconds` when given; returns every result and the wall time in seconds."""
    headers = itertools.cycle([{"Authorization": f"Bearer {t}", "Content-Type": "application/json"} for t in tokens])
    results: list[Result] = []

    async def lane(session: aiohttp.ClientSession, activities: list[dict[str, Any]]) -> None:
        for activity in activities:
            if deadline is not None and time.perf_counter() > deadline:
                return
            body = json.dumps(activity).encode()
            started = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=next(headers)) as response:
                    payload = await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError):
                payload, status = b"", 0
            seconds = time.perf_counter() - started
            parsed = json.loads(payload) if payload[:1] in (b"{", b"[") else None
            results.append(Result(activity, status, seconds, parsed))

    connector = aiohttp.TCPConnector(limit=len(lanes))
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        started = time.perf_counter()
        deadline = None if seconds is None else started + seconds
        await asyncio.gather(*(lane(session, activities) for activities in lanes))
        wall = time.perf_counter() - started
    return results, wall


def messages(lanes: Lanes, service_url: str, turns: int, text: Callable[[int, int], str]) -> list[list[dict[str, Any]]]:
    """`turns` messages spread over the lanes, each lane's from its own customers in turn; text(lane, k) is the kth
    message of a lane."""
    out = []
    for lane, count in enumerate(spread(turns, lanes.count)):
        chats = lanes.chats(lane, service_url)
        out.append([chats[k % len(chats)].message(text(lane, k)) for k in range(count)])
    return out


def spread(turns: int, lanes: int) -> list[int]:
    """How many of `turns` each lane takes (the first lanes one more when they do not divide evenly)."""
    return [turns // lanes + (1 if n < turns % lanes else 0) for n in range(lanes)]
