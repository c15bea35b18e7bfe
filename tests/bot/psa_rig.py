"""A PSA as the bridge's tests see it: a local aiohttp webhook receiver that checks each request as
docs/psa-bridge.md tells a PSA to (signature, age, event id seen before), answers as scripted, and keeps what it
accepted; and signed requests to the desk's inbound endpoint."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from aiohttp import web
from aiohttp.test_utils import TestServer

SECRET = "s3cret-shared-with-the-psa-0123456789abcdef"
SCHEMA = json.loads((Path(__file__).parents[2] / "docs/psa/ticket-event.v1.schema.json").read_text())
HANG = -1  # a scripted answer: never answer (the desk's timeout ends the request)


def verified(secret: str, headers: Any, body: bytes, now: float) -> bool:
    """docs/psa-bridge.md's check, as a PSA would write it."""
    timestamp = headers.get("X-PartnerDesk-Timestamp", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > 300:
        return False
    expected = "v1=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers.get("X-PartnerDesk-Signature", ""), expected)


@dataclass
class Receiver:
    """The PSA's webhook endpoint. `script` answers requests in turn (then 200); `clock` is the desk's."""

    clock: Callable[[], float] = time.time
    script: list[int] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)  # payloads answered 2xx, in arrival order
    requests: list[tuple[str, int]] = field(default_factory=list)  # (event id, answer) for every request
    bad: list[str] = field(default_factory=list)  # problems found: bad signatures, duplicates, invalid payloads
    server: TestServer | None = None
    release: asyncio.Event = field(default_factory=asyncio.Event)  # ends the hanging requests

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return str(self.server.make_url("/hook"))

    async def stop(self) -> None:
        self.release.set()
        if self.server is not None:
            await self.server.close()

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        event_id = request.headers.get("X-PartnerDesk-Event-Id", "")
        answer = self.script.pop(0) if self.script else 200
        self.requests.append((event_id, answer))
        if answer == HANG:
            await self.release.wait()
            return web.Response(status=503)
        if not verified(SECRET, request.headers, body, self.clock()):
            self.bad.append(f"bad signature on {event_id}")
            return web.Response(status=401)
        if answer != 200:
            return web.Response(status=answer)
        payload = json.loads(body)
        if payload["id"] != event_id:
            self.bad.append(f"header {event_id} names another event than the body's {payload['id']}")
        if any(seen["id"] == event_id for seen in self.accepted):
            self.bad.append(f"duplicate {event_id}")
        try:
            jsonschema.validate(payload, SCHEMA, format_checker=jsonschema.FormatChecker())
        except jsonschema.ValidationError as error:
            self.bad.append(f"{event_id} invalid: {error.message}")
        self.accepted.append(payload)
        return web.Response(status=204)

    def types(self, number: str) -> list[str]:
        """The accepted event types of one ticket, in arrival order."""
        return [p["type"] for p in self.accepted if p["ticket"]["number"] == number]


def signed(secret: str, body: bytes, timestamp: int, number: str = "T-1001") -> dict[str, str]:
    """Headers of a request to the inbound endpoint for ticket `number`, signed as docs/psa-bridge.md says."""
    message = f"{timestamp}.{number}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-PartnerDesk-Timestamp": str(timestamp),
        "X-PartnerDesk-Signature": f"v1={digest}",
    }
