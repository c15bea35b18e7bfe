"""Raw HTTP to the emulator's onboarding Graph routes with real tokens (tests/emulator/contract_rig.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import httpx
import pytest

from emulator.server import EmulatorServer
from emulator.state import EmulatorState
from tests.emulator.contract_rig import GRAPH, Tokens


@dataclass
class Onboarding:
    """Sends Graph requests as the partner's app (app-only) or as a signed-in user of the tenant."""

    tokens: Tokens

    @property
    def state(self) -> EmulatorState:
        """The emulator's state."""
        return self.tokens.server.state

    async def get(self, tenant: str, path: str, params: Mapping[str, str] | None = None) -> httpx.Response:
        """GET {emulator}/graph{path} with the app's token for `tenant` (an absolute URL is used as it is)."""
        url = path if path.startswith("https://") else f"{self.tokens.server.base_url}/graph{path}"
        return await self.tokens.http.get(url, params=params, headers=await self._auth(tenant))

    async def post(self, tenant: str, path: str, token: str | None = None, **kwargs: object) -> httpx.Response:
        """POST with the app's token for `tenant` (or `token`)."""
        headers = {"Authorization": f"Bearer {token}"} if token else await self._auth(tenant)
        headers |= kwargs.pop("headers", {})  # type: ignore[arg-type]
        url = f"{self.tokens.server.base_url}/graph{path}"
        return await self.tokens.http.post(url, headers=headers, **kwargs)  # type: ignore[arg-type]

    async def _auth(self, tenant: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.tokens.app_only(tenant, GRAPH)}"}


@pytest.fixture
async def onboarding(sr_server: EmulatorServer) -> AsyncIterator[Onboarding]:
    """The emulator with the demo tenants, and a client trusting its CA."""
    async with httpx.AsyncClient(verify=str(sr_server.tls.ca_cert)) as http:
        yield Onboarding(Tokens(sr_server, http))
