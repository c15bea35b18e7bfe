"""Serve an aiohttp application on 127.0.0.1 from a daemon thread with its own event loop.

The emulator (and the tests' local connector) run beside code that makes blocking HTTP calls (MSAL, the SDK's
connector client), so they must not share that code's event loop."""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from collections.abc import Callable

from aiohttp import web

logger = logging.getLogger(__name__)


class ThreadedServer:
    """One aiohttp application served from a daemon thread; `port` is known once `start()` returns."""

    def __init__(
        self, make_app: Callable[[], web.Application], name: str, port: int = 0, tls: ssl.SSLContext | None = None
    ) -> None:
        self._make_app = make_app
        self._name = name
        self._tls = tls
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.port = port

    def start(self) -> None:
        """Start serving; returns once the port is bound, or raises RuntimeError when it could not be."""
        self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=15) or self._runner is None:
            raise RuntimeError(f"{self._name} did not start")

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
            logger.exception("%s failed to start", self._name)
            self._runner = None
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _start_site(self) -> None:
        runner = web.AppRunner(self._make_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port, ssl_context=self._tls)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1] if sockets else self.port
        self._runner = runner
