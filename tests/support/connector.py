"""A local Bot Connector (the Teams side of /v3/conversations) that records what the bot sends and can be told
to answer with errors, served from its own thread like the real service is from another host."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from emulator.threaded import ThreadedServer


@dataclass
class Sent:
    """One request the bot made to the connector."""

    method: str
    path: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]
    authorization: str
    response_id: str | None = None  # the activity id the connector gave a successful send
    peer: str | None = None  # the bot's end of the TCP connection it came over ("host:port")

    @property
    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Cards in the activity."""
        activity = self.body.get("activity", self.body)
        return [
            a["content"] for a in activity.get("attachments") or [] if a.get("contentType", "").endswith("adaptive")
        ]

    @property
    def text(self) -> str:
        """The activity's text."""
        activity = self.body.get("activity", self.body)
        return activity.get("text") or ""


@dataclass
class Reply:
    """A scripted answer: status, headers, body. `delay`: seconds before answering (longer than the bot's timeout
    is a timeout). `raw`: the body as this text instead, JSON or not. `delivered`: the connector did deliver the
    activity (it gets an id) whatever the answer says, as when only the answer is lost or garbled."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    delay: float = 0.0
    raw: str | None = None
    delivered: bool = False


class LocalConnector:
    """Records requests; answers like the Bot Connector; scripted failures are consumed in order per method."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.members: dict[str, dict[str, Any]] = {}
        # (method, path, whether the path must match exactly rather than as a prefix, reply), consumed first-come
        self.script: list[tuple[str, str, bool, Reply]] = []
        self._ids = itertools.count(1000)
        self._lock = threading.Lock()
        self._server = ThreadedServer(self._app, "local-connector")

    @property
    def port(self) -> int:
        """The bound port (0 before `start`)."""
        return self._server.port

    @property
    def url(self) -> str:
        """The serviceUrl activities should carry."""
        return f"http://127.0.0.1:{self.port}/"

    def fail_next(self, method: str, *replies: Reply, path: str = "/v3/", exact: bool = False) -> None:
        """Answer the next requests of `method` whose path starts with `path` (is `path`, when `exact`) with
        `replies` (then normally)."""
        with self._lock:
            self.script.extend((method, path, exact, reply) for reply in replies)

    def posts(self, conversation_prefix: str = "") -> list[Sent]:
        """Successful-or-not POSTs (sends, replies, thread creations), in order."""
        with self._lock:
            return [s for s in self.sent if s.method == "POST" and s.conversation_id.startswith(conversation_prefix)]

    def sent_to(self, conversation_id: str) -> list[Sent]:
        """Everything sent to one conversation (any method)."""
        with self._lock:
            return [s for s in self.sent if s.conversation_id == conversation_id]

    def updates(self) -> list[Sent]:
        """PUTs (card updates), in order."""
        with self._lock:
            return [s for s in self.sent if s.method == "PUT"]

    def delivered(self, conversation_id: str) -> list[Sent]:
        """The sends and replies to one conversation that the connector delivered (gave an activity id), in order."""
        with self._lock:
            return [s for s in self.sent if s.conversation_id == conversation_id and s.response_id is not None]

    def clear_script(self) -> None:
        """Forget the scripted answers not yet given: answer normally from now on."""
        with self._lock:
            self.script.clear()

    def start(self) -> LocalConnector:
        """Serve on a free loopback port in a daemon thread."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._send)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._update)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        app.router.add_get("/v3/conversations/{conversation}/pagedmembers", self._paged_members)
        return app

    def _record(self, request: web.Request, body: dict[str, Any], conversation: str) -> Reply | None:
        with self._lock:
            self.sent.append(
                Sent(
                    request.method,
                    request.path,
                    conversation,
                    request.match_info.get("activity"),
                    body,
                    request.headers.get("Authorization", ""),
                    peer=_peer(request),
                )
            )
            for index, (method, path, exact, reply) in enumerate(self.script):
                matches = request.path == path if exact else request.path.startswith(path)
                if method == request.method and matches:
                    del self.script[index]
                    return reply
        return None

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id", "")
        scripted = self._record(request, body, channel)
        activity_id = str(next(self._ids))
        if scripted is None or scripted.delivered:
            with self._lock:
                self.sent[-1].response_id = activity_id  # the new thread's root; no await since _record
        if scripted:
            return await _scripted(scripted)
        return web.json_response({"id": f"{channel};messageid={activity_id}", "activityId": activity_id}, status=201)

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        scripted = self._record(request, body, request.match_info["conversation"])
        activity_id = str(next(self._ids))
        if scripted is None or scripted.delivered:
            with self._lock:
                self.sent[-1].response_id = activity_id  # no await since _record: still this request's
        if scripted:
            return await _scripted(scripted)
        return web.json_response({"id": activity_id}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        body = await request.json()
        scripted = self._record(request, body, request.match_info["conversation"])
        if scripted:
            return await _scripted(scripted)
        return web.json_response({"id": request.match_info["activity"]})

    async def _paged_members(self, request: web.Request) -> web.Response:
        """The team roster: every member known to the connector (a real team would hold only the partner's)."""
        return web.json_response({"members": list(self.members.values())})

    async def _member(self, request: web.Request) -> web.Response:
        member = self.members.get(request.match_info["member"])
        if member is None:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)
        return web.json_response(member)


def _peer(request: web.Request) -> str | None:
    address = request.transport.get_extra_info("peername") if request.transport is not None else None
    return f"{address[0]}:{address[1]}" if address else None


async def _scripted(reply: Reply) -> web.Response:
    if reply.delay:
        await asyncio.sleep(reply.delay)
    text = reply.raw if reply.raw is not None else json.dumps(reply.body or {})
    return web.Response(status=reply.status, headers=reply.headers, text=text, content_type="application/json")
