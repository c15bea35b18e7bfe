"""HTTP routes of the bot: /api/messages, /healthz, /readyz (and the sign-in pages, the report CSV link)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from bot import runtime as runtime_module
from bot.edge.loopback import loopback_host_only
from bot.edge.psa_inbound import add_routes as add_psa_routes
from bot.edge.report_csv import add_routes as add_report_routes
from bot.edge.unavailable import database_unavailable
from bot.edge.web_auth import add_routes as add_sign_in_routes
from bot.runtime import OpenDatabase, Runtime
from desk.clock import Clock, from_iso, to_iso
from desk.directory_service import TRIAGE_CHANNEL_KEY
from desk.outage import plain
from desk.settings import Settings
from desk.store import conversations as conv_sql
from desk.store import outbox as outbox_sql
from desk.store import routes as route_sql
from desk.store import webhooks as webhook_sql
from desk.store.database import Database, DatabaseUnavailable

logger = logging.getLogger(__name__)
RUNTIME = web.AppKey("runtime", Runtime)


def setup(app: web.Application, settings: Settings, clock: Clock, open_db: OpenDatabase) -> None:
    """Attach the bot to `app`: its lifetime (start/stop with the app) and its routes."""

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        app[RUNTIME] = await runtime_module.start(settings, clock, open_db)
        yield
        await runtime_module.stop(app[RUNTIME])

    app.cleanup_ctx.append(lifetime)
    if settings.local_mode:  # authentication is off: only this machine may ask (production: the token decides)
        app.middlewares.append(loopback_host_only)
    app.middlewares.append(database_unavailable)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    add_sign_in_routes(app, RUNTIME)
    if settings.psa.inbound:  # the PSA bridge's inbound endpoint exists only when turned on (docs/psa-bridge.md)
        add_psa_routes(app, RUNTIME)
    add_report_routes(app, RUNTIME)


async def messages(request: web.Request) -> web.Response:
    """Bot Framework activities from the channel."""
    runtime = request.app[RUNTIME]
    return await runtime.adapter.process(request, runtime.bot)


async def healthz(_: web.Request) -> web.Response:
    """The process is alive."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """The database answers (a read: never the write lock); and whether the triage channels (the default one, and
    each route's) take the bot's messages.
    Load balancers ask every few seconds: an unreachable database is answered with why, and not logged."""
    try:
        triage = await triage_channel_state(request.app[RUNTIME].db)
        routes = await route_channel_states(request.app[RUNTIME].db)
        psa = await psa_webhook_state(request.app[RUNTIME])
    except DatabaseUnavailable as error:
        return web.json_response({"database": "unreachable", "reason": plain(error)}, status=503)
    except Exception:
        logger.exception("readiness check failed")
        return web.json_response({"status": "database unavailable"}, status=503)
    body = {"status": "ready", "triage_channel": triage, "route_channels": routes}
    if psa is not None:
        body["psa_webhooks"] = psa
    return web.json_response(body)


async def psa_webhook_state(runtime: Runtime) -> dict[str, int] | None:
    """The PSA webhooks waiting to be delivered, and those that failed for good (see the log for which and why);
    None when the bridge sends none. Failures do not make the instance unready."""
    if not runtime.settings.psa.outbound:
        return None
    return await runtime.db.read(webhook_sql.counts)


async def route_channel_states(db: Database) -> list[dict[str, Any]]:
    """Each route channel's state as `triage_channel_state` gives the default one's (a read; [] without routes)."""
    rows = await db.read(route_sql.refused_route_channels)
    return [_channel_state(row) for row in rows]


async def triage_channel_state(db: Database) -> dict[str, Any]:
    """The triage channel for operators, in one read: unset, ok, or refused (Teams refuses the bot there: since when,
    why, how many messages it holds, when the next probe is due, or null when it waits for `triage here`). A refused
    channel does not make the instance unready: it serves everything else."""
    row = await db.read(lambda cx: conv_sql.refused_channel(cx, TRIAGE_CHANNEL_KEY))
    if row is None:
        return {"state": "unset"}
    return _channel_state(row)


def _channel_state(row: Any) -> dict[str, Any]:
    if not row["blocked_at"]:
        return {"state": "ok", "conversation": row["key"]}
    due = from_iso(row["next_attempt_at"])
    return {
        "state": "refused",
        "conversation": row["key"],
        "since": row["blocked_at"],
        "reason": row["blocked_reason"],
        "refusals": row["probes"],
        "held": row["held"],
        "next_probe": to_iso(due) if due is not None and due < outbox_sql.HELD else None,
    }
