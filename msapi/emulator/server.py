"""The emulator's aiohttp application, and a runner that serves it over HTTPS from its own thread (the SDK and
MSAL make blocking calls, so the emulator must not share their event loop)."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from pathlib import Path

from aiohttp import web

from msapi.emulator import graph, login, partner_center, partner_reads, service_requests, signin
from msapi.emulator.state import EmulatorState, Fault, Seen
from msapi.emulator.threaded import ThreadedServer
from msapi.emulator.tls import TlsFiles, ensure_tls

CONTROL = "/_emulator"


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
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.status:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            response = web.json_response(
                fault.body or {"error": "injected fault"}, status=fault.status, headers=headers
            )
        else:
            response = await handler(request)
        state.record(Seen(request.method, request.path, tenant, response.status, dict(request.headers)))
        return response

    return middleware


def _control_routes(state: EmulatorState) -> list[web.RouteDef]:
    async def add_fault(request: web.Request) -> web.Response:
        body = await request.json()
        try:
            fault = Fault(**body)
        except TypeError as error:
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
        """Stop serving and join the thread."""
        self._server.stop()
