"""The floor of bench/turns.py: a plain aiohttp handler that reads the request and answers 200, nothing else (what
the HTTP stack and the benchmark's client cost), in its own process.

    PORT=... python -m bench.floor
"""

from __future__ import annotations

import os

from aiohttp import web


async def messages(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(status=200)


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    return app


if __name__ == "__main__":
    web.run_app(make_app(), host="127.0.0.1", port=int(os.environ["PORT"]), access_log=None, print=None)
