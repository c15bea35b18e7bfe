"""The emulator's aiohttp application, and a runner that serves it over HTTPS from its own thread (the SDK and
MSAL make blocking calls, so the emulator must not share their event loop)."""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import asdict
from pathlib import Path

from aiohttp import web

from msapi.emulator import graph, login, partner_center, partner_reads, service_requests, signin
from msapi.emulator.state import EmulatorState, Fault, Seen
from msapi.emulator.tls import TlsFiles, ensure_tls

logger = logging.getLogger(__name__)
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
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.port = 0

    @property
    def base_url(self) -> str:
        """https://127.0.0.1:<port>"""
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> EmulatorServer:
        """Start serving; returns once the port is bound."""
        self._thread = threading.Thread(target=self._serve, name="ms-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=15) or not self.port:
            raise RuntimeError("the Microsoft API emulator did not start")
        return self

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._loop is not None and self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._start_site())
        except Exception:
            logger.exception("emulator failed to start")
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _start_site(self) -> None:
        self._runner = web.AppRunner(create_emulator_app(self.state), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port, ssl_context=self.tls.server_context())
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1] if sockets else self._port
