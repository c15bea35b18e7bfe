"""HTTP clients of the tests that trust the Microsoft API emulator's own CA, as the runtime builds them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from emulator.server import EmulatorServer
from msapi.transport import combined_bundle, http_client


@asynccontextmanager
async def trusting_clients(server: EmulatorServer, folder: Path) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """(httpx client, CA bundle path for MSAL's requests session), both trusting `server`'s CA; closed after."""
    ca = str(server.tls.ca_cert)
    http = http_client(ca)
    try:
        yield http, combined_bundle(ca, str(folder / "ca-bundle.pem"))
    finally:
        await http.aclose()
