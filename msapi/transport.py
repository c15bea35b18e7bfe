"""HTTP transports shared by every client: one httpx client for our calls, one requests session for MSAL,
both trusting an optional extra CA (the local emulator's, or a private endpoint's)."""

from __future__ import annotations

import os
import ssl
import tempfile
from typing import Any

import certifi
import httpx
import requests
from requests.adapters import HTTPAdapter

from msapi.aiohttp_transport import AiohttpTransport

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=10.0)
# Connections kept open, all upstreams together: a health sweep alone keeps 2 x SWEEP_CONCURRENCY (32) Graph requests
# in flight, and every connection it opened stays for the next call (none is closed while the pool holds fewer).
POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)
# MSAL's requests to Entra ID (requests has no session-wide timeout); read at each request, so tests may shorten it.
MSAL_TIMEOUT_SECONDS = 20.0
# Connections MSAL's session keeps per host: one for each token thread (msapi.tokens.TOKEN_THREADS).
MSAL_CONNECTIONS = 32


def ssl_context(extra_ca: str | None = None) -> ssl.SSLContext:
    """The public CA bundle, plus `extra_ca` when given."""
    context = ssl.create_default_context(cafile=certifi.where())
    if extra_ca:
        context.load_verify_locations(cafile=extra_ca)
    return context


def http_client(extra_ca: str | None = None, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The process-wide async HTTP client (close it on shutdown): httpx's API over aiohttp's connection pool
    (msapi/aiohttp_transport.py says why), unless a `transport` is given (tests)."""
    verify = ssl_context(extra_ca)
    return httpx.AsyncClient(
        verify=verify,
        timeout=DEFAULT_TIMEOUT,
        transport=transport or AiohttpTransport(verify, POOL_LIMITS),
        limits=POOL_LIMITS,  # for httpx's own proxy transports, when the environment names a proxy
        follow_redirects=False,
    )


class _CaSession(requests.Session):
    """A requests session that trusts the public bundle plus an extra CA, with a default timeout, and keeps open as
    many connections to a host as MSAL's callers use at once."""

    def __init__(self, bundle: str | None) -> None:
        super().__init__()
        self._bundle = bundle
        # requests keeps 10 connections per host: past that a connection is closed after its request, and the next
        # token fetch makes a new TLS handshake. A health sweep fetches first tokens on up to TOKEN_THREADS at once.
        adapter = HTTPAdapter(pool_maxsize=MSAL_CONNECTIONS)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        # requests' own helpers (get, post...) and MSAL pass everything after the URL by keyword; *args keeps the
        # override accepting whatever Session.request accepts.
        kwargs.setdefault("timeout", MSAL_TIMEOUT_SECONDS)
        if self._bundle:
            kwargs.setdefault("verify", self._bundle)
        return super().request(method, url, *args, **kwargs)


def msal_session(bundle: str | None = None) -> requests.Session:
    """A requests session for MSAL (its calls block, so we run them off the event loop).

    `bundle` is a CA file to trust instead of the default one (see `combined_bundle`).
    """
    return _CaSession(bundle)


def combined_bundle(extra_ca: str, destination: str) -> str:
    """Write the public CA bundle followed by `extra_ca` to `destination`; returns its path."""
    with open(certifi.where(), encoding="ascii") as public, open(extra_ca, encoding="ascii") as extra:
        content = public.read() + "\n" + extra.read()
    # Written whole (a temporary file renamed over it): workers starting together on one data folder each write the
    # bundle, and one must never read another's half-written file.
    folder = os.path.dirname(os.path.abspath(destination))
    with tempfile.NamedTemporaryFile("w", encoding="ascii", dir=folder, delete=False, suffix=".tmp") as out:
        out.write(content)
    os.replace(out.name, destination)
    return destination
