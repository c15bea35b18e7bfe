"""A stand-in for Teams' Bot Connector in local mode, for the personal chats of people no playground shows: a roll-out
installs the desk for five people of a group, but the customer playground has one user (Megan Bowen); the bot must
still be able to greet the other four. It answers the calls the bot makes in a personal chat and records them.

Routes and answers as in the Bot Connector REST API reference
(https://learn.microsoft.com/en-us/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference): "Send to
conversation" and "Reply to activity" (POST .../activities[/{activityId}], a ResourceResponse `{"id"}`), "Update
activity" (PUT), "Get conversation member" (GET .../members/{memberId}, a TeamsChannelAccount — here from the
emulator's directory, 404 for someone it does not know). Served over plain http on 127.0.0.1, which local mode's
SERVICE_URL_ALLOWLIST allows (the emulator's own https address is not in it)."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from emulator.threaded import ThreadedServer

if TYPE_CHECKING:
    from emulator.teams_book import TeamsBook

BASE = "/v3/conversations/{conversation}"


@dataclass(frozen=True)
class SinkCall:
    """One call the bot made: method, conversation id, and the activity it sent (None for a read)."""

    method: str
    conversation_id: str
    activity: dict[str, Any] | None


class TeamsSink:
    """Records what the bot sends to personal chats no playground shows; thread-safe."""

    def __init__(self, teams: TeamsBook, port: int = 0, prefix: str = "") -> None:
        self._teams = teams
        self._prefix = prefix.rstrip("/")  # a connector under a path, as the Agents Playground's /_connector
        self._lock = threading.Lock()
        self._calls: list[SinkCall] = []
        self._ids = itertools.count(1)
        self._server = ThreadedServer(self._app, "teams-sink", port)

    @property
    def port(self) -> int:
        """The bound port (0 before `start`)."""
        return self._server.port

    @property
    def url(self) -> str:
        """The serviceUrl install events carry for these chats."""
        return f"http://127.0.0.1:{self._server.port}{self._prefix}/"

    def calls(self, conversation_id: str | None = None) -> list[SinkCall]:
        """The calls so far (to one conversation), in order."""
        with self._lock:
            return [c for c in self._calls if conversation_id in (None, c.conversation_id)]

    def start(self) -> TeamsSink:
        """Serve on a free loopback port (or the one given) from its own thread."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()

    def _app(self) -> web.Application:
        app = web.Application()
        base = self._prefix + BASE
        app.router.add_post(base + "/activities", self._send)
        app.router.add_post(base + "/activities/{activity}", self._send)
        app.router.add_put(base + "/activities/{activity}", self._send)
        app.router.add_get(base + "/members/{member}", self._member)
        return app

    def _record(self, method: str, conversation: str, activity: dict[str, Any] | None) -> str:
        with self._lock:
            self._calls.append(SinkCall(method, conversation, activity))
            return f"sink-{next(self._ids)}"

    async def _send(self, request: web.Request) -> web.Response:
        try:
            activity = await request.json()
        except ValueError:
            return web.json_response({"error": {"code": "BadArgument", "message": "The body is not JSON."}}, status=400)
        if not isinstance(activity, dict):
            return web.json_response({"error": {"code": "BadArgument", "message": "Expected an activity."}}, status=400)
        answer_id = self._record(request.method, request.match_info["conversation"], activity)
        if request.method == "PUT":
            return web.json_response({"id": request.match_info["activity"]})
        return web.json_response({"id": answer_id}, status=201)

    async def _member(self, request: web.Request) -> web.Response:
        self._record("GET", request.match_info["conversation"], None)
        aad_id = request.match_info["member"].removeprefix("29:")
        with self._teams.lock:
            found = next(
                ((tenant, user) for tenant, users in self._teams.users.items() for user in users if user.id == aad_id),
                None,
            )
        if found is None:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)
        tenant, user = found
        return web.json_response(
            {
                "id": f"29:{user.id}",
                "name": user.display_name,
                "aadObjectId": user.id,
                "email": user.mail,
                "userPrincipalName": user.user_principal_name,
                "tenantId": tenant,
                "userRole": "user",
            }
        )
