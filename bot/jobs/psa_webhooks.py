"""The PSA bridge's sender: posts each queued ticket event (desk/store/webhooks.py, the bridge's outbox) to its URL,
signed (desk/psa_signing.py), in order per ticket and URL, retrying timeouts, connection errors, 408, 429 and 5xx
with bounded exponential backoff and jitter, and failing for good on any other answer or once the attempts are used
up (logged, and counted in /readyz).

Every instance runs one; each URL has SLOTS_PER_TARGET sends of its own, so a slow or failing PSA never holds up
another, and a ticket whose event waits for a retry never holds up another ticket. A send is bounded by
PSA_WEBHOOK_TIMEOUT, well inside its claim, so a claim never expires while its request may still land; a stopping
sender lets its sends finish (runtime's grace) and frees its claims. Delivery is at least once: an instance that
dies between the receiver's answer and its record leaves the row to be sent again under the same event id, which
is why receivers dedupe by X-PartnerDesk-Event-Id (docs/psa-bridge.md)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx

from desk.clock import Clock, utc_now
from desk.outage import Backoff, Outage
from desk.psa_events import public_id
from desk.psa_signing import headers
from desk.settings_psa import PsaSettings
from desk.store import webhooks as webhook_sql
from desk.store.database import Cx, Database, DatabaseUnavailable
from desk.store.webhooks import Delivery

logger = logging.getLogger(__name__)
SLOTS_PER_TARGET = 4
FIRST_RETRY_SECONDS = 5.0
LONGEST_RETRY_SECONDS = 1800.0
CLAIM_EXTRA_SECONDS = 60.0  # a claim outlives its send's timeout by this much
IDLE_POLL_SECONDS = 30.0
PRUNE_EVERY = timedelta(hours=1)
RETRIED = frozenset({408, 429})


def retry_wait(attempt: int, rand: Callable[[], float]) -> float:
    """Seconds before the next try after failed attempt number `attempt` (1-based): doubling from
    FIRST_RETRY_SECONDS, at most LONGEST_RETRY_SECONDS, each between half and all of that (jitter: the PSA's
    backlog after an outage is not hit by every retry at once)."""
    full: float = min(LONGEST_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2.0 ** min(attempt - 1, 20))
    return full * (0.5 + rand() / 2)


def where(url: str) -> str:
    """A URL for the logs: scheme and host only (a path or query may carry the PSA's own key)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class WebhookSender:
    """Background delivery of the PSA webhooks."""

    def __init__(
        self,
        db: Database,
        http: httpx.AsyncClient,
        settings: PsaSettings,
        holder: str,
        clock: Clock = utc_now,
        rand: Callable[[], float] = random.random,
        outage: Outage | None = None,
    ) -> None:
        self._db = db
        self._http = http
        self._settings = settings
        self.holder = holder
        self._clock = clock
        self._rand = rand
        self._outage = outage or Outage()
        self._backoff = Backoff()
        self._in_flight: dict[int, tuple[str, asyncio.Task[None]]] = {}  # row id -> (URL, its delivery)
        self._wake = asyncio.Event()
        self._stopping = False
        self._pass = asyncio.Lock()
        self._pruned_at: datetime | None = None

    def kick(self) -> None:
        """Wake the sender: an event was just queued."""
        self._wake.set()

    def stop(self) -> None:
        """Ask `run` to finish once the sends under way have ended."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Deliver until `stop`; sleeps until kicked, a send ends, a retry falls due, or the idle poll."""
        try:
            while not self._stopping:
                try:
                    self._wake.clear()
                    began = self._outage.attempt()
                    await self._dispatch()
                    await self._prune()
                    timeout = IDLE_POLL_SECONDS
                    due = await self._db.read(lambda cx: webhook_sql.next_due(cx, self._settings.urls))
                    if due is not None:
                        timeout = min(timeout, max(0.0, (due - self._clock()).total_seconds()))
                except DatabaseUnavailable as error:
                    self._outage.failed(error, "PSA webhook sender")
                    await self._pause(self._backoff.next())
                    continue
                except Exception:
                    logger.exception("PSA webhook pass failed; retrying shortly")
                    await self._pause(1.0)
                    continue
                self._outage.succeeded(began)
                self._backoff.reset()
                await self._pause(timeout)
            while self._in_flight:
                await asyncio.wait([task for _, task in self._in_flight.values()])
        finally:
            for _, task in self._in_flight.values():
                task.cancel()
            with contextlib.suppress(Exception):  # else they are free once their claims expire
                await self._db.run(lambda cx: webhook_sql.unclaim_all(cx, self.holder))

    async def drain(self) -> None:
        """Deliver until nothing is due and nothing is under way (tests); callers bound it with asyncio.timeout."""
        while True:
            started = await self._dispatch()
            busy = [task for _, task in self._in_flight.values()]
            if not started and not busy:
                return
            if busy:
                await asyncio.wait(busy, return_when=asyncio.FIRST_COMPLETED)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    async def _prune(self) -> None:
        now = self._clock()
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            await self._db.run(lambda cx: webhook_sql.prune(cx, now))
            self._pruned_at = now

    async def _dispatch(self) -> int:
        """Claim, per URL, as many due heads as the URL has free slots, and start a send for each."""
        async with self._pass:
            if self._stopping:
                return 0
            now = self._clock()
            until = now + timedelta(seconds=self._settings.timeout_seconds + CLAIM_EXTRA_SECONDS)
            busy = [url for url, _ in self._in_flight.values()]
            rooms = {url: SLOTS_PER_TARGET - busy.count(url) for url in self._settings.urls}

            def claim(cx: Cx) -> list[Delivery]:
                claimed: list[Delivery] = []
                for url, room in rooms.items():
                    if room > 0:
                        claimed += webhook_sql.claim(cx, url, self.holder, now, until, room)
                return claimed

            claimed = await self._db.run(claim) if any(room > 0 for room in rooms.values()) else []
            for delivery in claimed:
                self._start(delivery)
            return len(claimed)

    def _start(self, delivery: Delivery) -> None:
        task = asyncio.create_task(self._deliver(delivery), name=f"psa-webhook-{delivery.id}")
        self._in_flight[delivery.id] = (delivery.target, task)

        def finished(done: asyncio.Task[None]) -> None:
            self._in_flight.pop(delivery.id, None)
            self._wake.set()
            error = None if done.cancelled() else done.exception()
            if isinstance(error, DatabaseUnavailable):
                self._outage.failed(error, f"PSA webhook {delivery.id}")  # still pending: sent again when back
            elif error is not None:
                logger.error("PSA webhook %s failed", delivery.id, exc_info=error)

        task.add_done_callback(finished)

    async def _deliver(self, delivery: Delivery) -> None:
        body = delivery.body.encode("utf-8")
        event = public_id(delivery.event_id)
        signed = headers(self._settings.secret, event, int(self._clock().timestamp()), body)
        try:
            async with asyncio.timeout(self._settings.timeout_seconds):
                # The status is the answer; the body is never read, so never decoded: a Content-Encoding the PSA
                # gets wrong cannot fail a send it took, nor a compressed body inflate in memory.
                async with self._http.stream(
                    "POST", delivery.target, content=body, headers=signed, timeout=self._settings.timeout_seconds
                ) as response:
                    status = response.status_code
        except (TimeoutError, httpx.TimeoutException):
            await self._retry(delivery, "timed out")
            return
        except httpx.TransportError as error:
            await self._retry(delivery, f"{type(error).__name__}: {error}")
            return
        except Exception as error:
            # Counted as an attempt like any failure: escaping here would leave the row claimed, to be sent again
            # each time the claim expires with no attempt counted (unbounded, and the ticket's next events stuck).
            logger.exception("PSA webhook %s to %s: unexpected error", delivery.id, where(delivery.target))
            await self._retry(delivery, type(error).__name__)
            return
        if 200 <= status < 300:
            await self._record(delivery, lambda cx: webhook_sql.delivered(cx, delivery.id, self.holder, self._clock()))
        elif status >= 500 or status in RETRIED:
            await self._retry(delivery, f"HTTP {status}")
        else:
            await self._fail(delivery, f"HTTP {status}: not retried")

    async def _retry(self, delivery: Delivery, detail: str) -> None:
        attempt = delivery.attempts + 1
        if attempt >= self._settings.max_attempts:
            await self._fail(delivery, f"{detail} (gave up after {attempt} attempts)")
            return
        wait = retry_wait(attempt, self._rand)
        at = self._clock() + timedelta(seconds=wait)
        logger.info(
            "PSA webhook %s (%s) to %s: %s; retry in %.0f s",
            delivery.id,
            public_id(delivery.event_id),
            where(delivery.target),
            detail,
            wait,
        )
        await self._record(delivery, lambda cx: webhook_sql.retry(cx, delivery.id, self.holder, at, detail))

    async def _fail(self, delivery: Delivery, detail: str) -> None:
        logger.error(
            "PSA webhook %s (%s) to %s failed for good: %s",
            delivery.id,
            public_id(delivery.event_id),
            where(delivery.target),
            detail,
        )
        await self._record(delivery, lambda cx: webhook_sql.failed(cx, delivery.id, self.holder, detail))

    async def _record(self, delivery: Delivery, work: Callable[[Cx], bool]) -> None:
        if not await self._db.run(work):
            logger.warning("PSA webhook %s: claim lost to another sender; its outcome is theirs", delivery.id)


async def start_webhooks(
    db: Database, http: httpx.AsyncClient, settings: PsaSettings, holder: str, clock: Clock, outage: Outage
) -> WebhookSender | None:
    """Record the configured URLs (events are queued for these from now on; rows pending for a URL no longer listed
    are dropped) and build the sender, or None when no URL is configured."""
    now = clock()
    dropped = await db.run(lambda cx: webhook_sql.sync_targets(cx, settings.urls, now))
    if dropped:
        logger.warning(
            "PSA webhooks: %d undelivered events dropped: their URL is no longer in PSA_WEBHOOK_URLS", dropped
        )
    if not settings.outbound:
        return None
    logger.info("PSA webhooks to %s", ", ".join(where(url) for url in settings.urls))
    return WebhookSender(db, http, settings, holder, clock, outage=outage)
