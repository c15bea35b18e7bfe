"""The emulator's aiohttp application, and a runner that serves it over HTTPS from its own thread (the SDK and
MSAL make blocking calls, so the emulator must not share their event loop)."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from http import HTTPStatus
from pathlib import Path

from aiohttp import web

from emulator import directory, gdap, graph, login, partner_center, partner_reads, service_requests, signin, teams_apps
from emulator.graph_wire import graph_error, too_many_requests
from emulator.partner_center import pc_error, pc_throttled
from emulator.state import EmulatorState, Fault, Seen
from emulator.teams_sink import TeamsSink
from emulator.threaded import ThreadedServer
from emulator.tls import TlsFiles, ensure_tls
from emulator.user_tokens import oauth_error

CONTROL = "/_emulator"
# Retry-After of an injected 429 that names none: Entra ID documents 60 for client credentials; Graph and Partner
# Center name their own waits, a few seconds here.
DEFAULT_RETRY_AFTER = {login.PREFIX: "60", graph.PREFIX: "5", partner_center.PREFIX: "5"}


def create_emulator_app(state: EmulatorState) -> web.Application:
    """The emulator: /login (Entra ID), /partnercenter (Partner Center), /graph (service communications),
    /_emulator (faults, request log, service-health changes)."""
    app = web.Application(middlewares=[_faults_and_log(state)])
    app.add_routes(login.routes(state))
    app.add_routes(signin.routes(state))
    app.add_routes(partner_center.routes(state))
    app.add_routes(service_requests.routes(state))
    app.add_routes(partner_reads.routes(state))
    app.add_routes(graph.routes(state))
    app.add_routes(_control_routes(state))
    app.add_routes(service_requests.control_routes(state, CONTROL))
    app.add_routes(graph.control_routes(state, CONTROL))
    app.add_routes(signin.control_routes(state, CONTROL))
    app.add_routes(gdap.routes(state))
    app.add_routes(gdap.control_routes(state, CONTROL))
    app.add_routes(teams_apps.routes(state))
    app.add_routes(directory.routes(state))
    return app


def _faults_and_log(state: EmulatorState):  # type: ignore[no-untyped-def]
    @web.middleware
    async def middleware(request: web.Request, handler):  # type: ignore[no-untyped-def]
        if request.path.startswith(CONTROL):
            return await handler(request)
        claims = login.read_token(state, request)
        tenant = str(claims.get("tid")) if claims else request.match_info.get("tenant")
        fault = state.take_fault(request.path, tenant)
        response: web.StreamResponse
        if state.latency > 0:
            await state.pause(state.latency)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.status and fault.after_handling:
            await handler(request)  # the work is done; the caller never learns it
            response = fault_answer(fault, request.path)
        elif fault is not None and (fault.status or fault.raw is not None):
            response = fault_answer(fault, request.path)
        else:
            response = await handler(request)
        state.record(Seen(request.method, request.path, tenant, response.status, dict(request.headers)))
        return response

    return middleware


def fault_answer(fault: Fault, path: str) -> web.Response:
    """An injected fault's answer: its own body, or else the error body of the API `path` belongs to (Graph's
    `{"error": {"code", "message", "innerError"}}`, Partner Center's classic body or its 429 body, Entra ID's
    OAuth error), a 429 always with Retry-After."""
    api = next((prefix for prefix in DEFAULT_RETRY_AFTER if path.startswith(prefix + "/")), None)
    retry_after = fault.retry_after
    if retry_after is None and fault.status == 429 and api is not None:
        retry_after = DEFAULT_RETRY_AFTER[api]
    headers = {"Retry-After": retry_after} if retry_after else {}
    if fault.raw is not None:  # not JSON, though it says so: what a client's parser must survive
        return web.Response(
            text=fault.raw, status=fault.status or 200, headers=headers, content_type="application/json"
        )
    if fault.body is not None or fault.status < 400 or api is None:
        return web.json_response(fault.body or {}, status=fault.status, headers=headers)
    try:
        phrase = HTTPStatus(fault.status).phrase
    except ValueError:
        phrase = "Error"
    if api == graph.PREFIX:
        if fault.status == 429:
            return too_many_requests(str(retry_after))
        return graph_error(fault.status, phrase.replace(" ", ""), f"{phrase} (injected fault).", headers)
    if api == partner_center.PREFIX:
        if fault.status == 429:
            return pc_throttled(str(retry_after))
        # Partner Center documents no codes for these failures; the emulator uses the HTTP status.
        response = pc_error(fault.status, fault.status, f"{phrase} (injected fault).")
        response.headers.update(headers)
        return response
    if fault.status == 401:
        return oauth_error(401, "invalid_client", "Invalid client secret provided.", 7000215, headers)
    if fault.status == 429 or fault.status >= 500:
        description = "A transient error has occurred. Please try again."
        return oauth_error(fault.status, "temporarily_unavailable", description, 90033, headers)
    return oauth_error(fault.status, "invalid_request", f"{phrase} (injected fault).", 50000, headers)


def _control_routes(state: EmulatorState) -> list[web.RouteDef]:
    async def add_fault(request: web.Request) -> web.Response:
        body = await request.json()
        try:
            fault = Fault(**body)
        except (TypeError, ValueError) as error:
            return web.json_response({"error": str(error)}, status=400)
        state.inject(fault)
        return web.json_response(asdict(fault), status=201)

    async def clear_faults(_: web.Request) -> web.Response:
        state.clear_faults()
        return web.Response(status=204)

    async def requests_seen(_: web.Request) -> web.Response:
        return web.json_response(
            [{"method": s.method, "path": s.path, "tenant": s.tenant, "status": s.status} for s in state.requests()]
        )

    return [
        web.post(CONTROL + "/faults", add_fault),
        web.delete(CONTROL + "/faults", clear_faults),
        web.get(CONTROL + "/requests", requests_seen),
    ]


class EmulatorServer:
    """Runs the emulator on 127.0.0.1 over HTTPS in a daemon thread."""

    def __init__(self, state: EmulatorState, tls_folder: Path, port: int = 0) -> None:
        self.state = state
        self.sink: TeamsSink | None = None  # local mode's Bot Connector stand-in, stopped with the emulator
        self.tls: TlsFiles = ensure_tls(tls_folder)
        self._server = ThreadedServer(
            lambda: create_emulator_app(state), "ms-emulator", port, self.tls.server_context()
        )

    @property
    def port(self) -> int:
        """The bound port (0 before `start`)."""
        return self._server.port

    @property
    def base_url(self) -> str:
        """https://127.0.0.1:<port>"""
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> EmulatorServer:
        """Start serving; returns once the port is bound."""
        try:
            self._server.start()
        except RuntimeError as error:
            raise RuntimeError("the Microsoft API emulator did not start") from error
        return self

    def stop(self) -> None:
        """Stop serving and join the thread (and the sink's)."""
        if self.sink is not None:
            self.sink.stop()
        self._server.stop()
