"""HTTP routes of the bot: /api/messages, /healthz, /readyz."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot import runtime as runtime_module
from bot.loopback import loopback_host_only
from bot.runtime import Runtime
from bot.web_auth import add_routes as add_sign_in_routes
from desk.clock import Clock
from desk.settings import Settings

logger = logging.getLogger(__name__)
RUNTIME = web.AppKey("runtime", Runtime)


def setup(app: web.Application, settings: Settings, clock: Clock) -> None:
    """Attach the bot to `app`: its lifetime (start/stop with the app) and its routes."""

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        app[RUNTIME] = await runtime_module.start(settings, clock)
        yield
        await runtime_module.stop(app[RUNTIME])

    app.cleanup_ctx.append(lifetime)
    if settings.local_mode:  # authentication is off: only this machine may ask (production: the token decides)
        app.middlewares.append(loopback_host_only)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    add_sign_in_routes(app, RUNTIME)


async def messages(request: web.Request) -> web.Response:
    """Bot Framework activities from the channel."""
    runtime = request.app[RUNTIME]
    return await runtime.adapter.process(request, runtime.bot)


async def healthz(_: web.Request) -> web.Response:
    """The process is alive."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """The database answers."""
    try:
        await request.app[RUNTIME].db.ping()
    except Exception:
        logger.exception("readiness check failed")
        return web.json_response({"status": "database unavailable"}, status=503)
    return web.json_response({"status": "ready"})
