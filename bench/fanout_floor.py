"""The fan-out's floor: the least time Teams' limits allow a sender to deliver one message to each chat, given the
sends the connector refuses at random (bench/teams_connector.py `unlucky`, the same seeded draws).

An ideal sender, which has no cost of its own and cannot know which send will be refused: per tenant, it sends
whenever the tenant's windows have room — with the desk's limits (bot/outbox/send_policy.py), 30 sends in any 1 s —
in the desk's order (oldest due first: a refused send is retried once its Retry-After has passed, after the chats
queued before it). Sending retries first instead is as often luckier as not (it changes which sends fall in the last
window), so the floor keeps the desk's order and the ratio measures the desk's own costs. Without refusals
that is 30 sends at 0 s, 30 at 1 s, ...: the last of n sends goes at (ceil(n / 30) - 1) s. Each refusal adds a send
(it took a slot too), and one refused among the last sends adds its Retry-After at the end. The chats' own windows
(7 in 1 s, 8 in 2 s, 60 in 30 s, 1,800 an hour) never bind: a chat gets one message, and its retries are a
Retry-After apart. Tenants do not share a window, so the floor is the slowest tenant's. The last send's round trip
(a millisecond on loopback) is left out.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter, deque
from collections.abc import Callable

from desk.ratelimit import Limits


def floor_seconds(
    chats_by_tenant: dict[str, list[str]],
    refused: Callable[[str, int], bool],
    limits: Limits,
    retry_after: float,
) -> float:
    """Seconds from the first send to the last accepted one, for the slowest tenant."""
    return max((tenant_floor(chats, refused, limits, retry_after) for chats in chats_by_tenant.values()), default=0.0)


def tenant_floor(
    chats: list[str],
    refused: Callable[[str, int], bool],
    limits: Limits,
    retry_after: float,
    retries_first: bool = False,
) -> float:
    """The ideal sender's time for one tenant's chats (in queue order); `refused(chat, attempt)` is the connector's
    draw for the chat's attempt-th send (0 first). A retry goes after the chats queued before it (the desk's order:
    oldest due first), or before the chats not yet sent (`retries_first`)."""
    sent: list[float] = []  # the moment of each send, in order
    fresh = deque(chats)
    retries: list[tuple[float, int, str]] = []  # (due, tie-break, chat)
    order = itertools.count()
    attempts: Counter[str] = Counter()
    moment = last = 0.0
    while fresh or retries:
        ready = moment if fresh else max(moment, retries[0][0])
        moment = _room(sent, limits, ready)
        if retries and retries[0][0] <= moment and (retries_first or not fresh):
            chat = heapq.heappop(retries)[2]
        else:
            chat = fresh.popleft()
        attempt = attempts[chat]
        attempts[chat] += 1
        sent.append(moment)
        if refused(chat, attempt):
            heapq.heappush(retries, (moment + retry_after, next(order), chat))
        else:
            last = moment
    return last


def _room(sent: list[float], limits: Limits, moment: float) -> float:
    """The first moment at or after `moment` when one more send fits every window: a window of `count` in `seconds`
    has room once the count-th newest send is `seconds` old (sends are in time order, so one pass suffices)."""
    for count, seconds in limits.windows:
        if len(sent) >= count:
            moment = max(moment, sent[-count] + seconds)
    return moment
