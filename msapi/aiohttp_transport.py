"""httpx's transport over aiohttp's connection pool: the clients keep httpx's API (requests, responses, timeouts,
typed errors, MockTransport in tests), and the bytes go through aiohttp, whose pool costs a request a few hundred
microseconds of CPU where httpcore 1.0.9's costs milliseconds once a few dozen connections are open.

Why (measured by `python -m bench.health`, 2 cores): a health sweep keeps 32 requests in flight. httpcore's pool
walks every connection on each request and each response, polling every idle socket and counting idle connections
once per idle connection (quadratic: https://github.com/encode/httpcore/pull/1035), and evicts idle connections
whenever it holds more than `max_keepalive_connections` in all, busy ones included, so that each call above that
count makes a new TLS handshake; every lock it makes also retries a failed `import sniffio`. Together 2.5–4 ms of
CPU per call, more than the sweep's whole budget at Graph's latency.

Only what the clients need: the whole body is read before the response is handed back (every Microsoft answer we
read is one JSON document); no redirects (httpx follows them itself when asked); compressed bodies and cookies are
left to httpx, as with its own transport. Proxies from the environment are httpx's too: it routes requests that
match one to its own proxy transport, not to this one.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

import aiohttp
import httpx
from yarl import URL


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One aiohttp connection pool (made on first use, inside the running event loop), `limits` as httpx's."""

    def __init__(self, verify: ssl.SSLContext, limits: httpx.Limits) -> None:
        self._ssl = verify
        self._limits = limits
        self._session: aiohttp.ClientSession | None = None

    def _pool(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                ssl=self._ssl,
                limit=self._limits.max_connections or 0,
                keepalive_timeout=self._limits.keepalive_expiry or 0,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),  # httpx keeps the cookies, as it does with its own transport
                auto_decompress=False,  # httpx decodes Content-Encoding
                trust_env=False,  # proxies from the environment are httpx's (see the module's docstring)
                timeout=aiohttp.ClientTimeout(total=None),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        try:
            async with self._pool().request(
                request.method,
                URL(str(request.url), encoded=True),  # httpx has encoded it: sent as is, never re-quoted
                headers=[(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw],
                data=body or None,
                allow_redirects=False,
                timeout=_timeout(request.extensions.get("timeout", {})),
            ) as answer:
                content = await answer.read()
        except aiohttp.ClientError as error:
            raise _httpx_error(error, request) from error
        except TimeoutError as error:  # a timeout that aiohttp did not wrap
            raise httpx.ReadTimeout(str(error) or "timed out", request=request) from error
        return httpx.Response(
            answer.status,
            headers=list(answer.raw_headers),
            stream=httpx.ByteStream(content),
            request=request,
            # The reason phrase is the server's free text (a PSA's may be "200 Окей"): what Latin-1 cannot hold is
            # replaced, never an error for an answer whose status is all that counts.
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (answer.reason or "").encode("latin-1", "replace"),
            },
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _timeout(given: Mapping[str, Any]) -> aiohttp.ClientTimeout:
    """httpx's timeouts as aiohttp's: waiting for a pooled connection and connecting (`connect` in aiohttp covers
    both), connecting alone, and each read. httpx's write timeout has no aiohttp match; our bodies are small."""
    pool, connect, read = given.get("pool"), given.get("connect"), given.get("read")
    acquire = None if pool is None or connect is None else pool + connect
    return aiohttp.ClientTimeout(total=None, connect=acquire, sock_connect=connect, sock_read=read)


def _httpx_error(error: aiohttp.ClientError, request: httpx.Request) -> httpx.TransportError:
    """The httpx error that its own transport raises for the same failure (callers retry on these)."""
    message = str(error) or type(error).__name__
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(error, aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout(message, request=request)
    if isinstance(error, aiohttp.ClientConnectorError):
        return httpx.ConnectError(message, request=request)
    if isinstance(error, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(message, request=request)
    return httpx.ReadError(message, request=request)
