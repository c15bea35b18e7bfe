"""Real tokens from the emulator's own Entra ID over HTTPS, for the contract tests: an app-only token from the client
credentials grant, and App+User tokens from the authorization-code grant (the authorize page signs the user in),
the refresh-token grant and the device-code grant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt

from emulator import demo
from emulator.server import EmulatorServer

REDIRECT_URI = "http://127.0.0.1:3978/auth/callback"
PC = "https://api.partnercenter.microsoft.com"
GRAPH = "https://graph.microsoft.com"


@dataclass
class Tokens:
    """Gets tokens from a running emulator."""

    server: EmulatorServer
    http: httpx.AsyncClient

    def _url(self, tenant: str, endpoint: str) -> str:
        return f"{self.server.base_url}/login/{tenant}/oauth2/v2.0/{endpoint}"

    async def grant(self, tenant: str, form: dict[str, str]) -> dict[str, Any]:
        """The token endpoint's JSON answer to `form` (the demo app's id and secret added)."""
        body = {"client_id": demo.APP_ID, "client_secret": demo.APP_SECRET, **form}
        answer = await self.http.post(self._url(tenant, "token"), data=body)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    async def app_only(self, tenant: str, resource: str) -> str:
        """The client credentials grant."""
        answer = await self.grant(tenant, {"grant_type": "client_credentials", "scope": f"{resource}/.default"})
        return str(answer["access_token"])

    async def signed_in(self, tenant: str, user: demo.DemoUser, scope: str) -> dict[str, Any]:
        """The authorization-code grant for `user`, signed in on the emulator's authorize page."""
        self.server.state.auto_sign_in_user = user.aad_id
        query = {
            "client_id": demo.APP_ID,
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "scope": f"{scope} offline_access openid",
            "state": "s",
        }
        page = await self.http.get(self._url(tenant, "authorize"), params=query)
        assert page.status_code == 302, page.text
        code = parse_qs(urlsplit(page.headers["location"]).query)["code"][0]
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
        return await self.grant(tenant, form)

    async def user(self, tenant: str, user: demo.DemoUser, scope: str) -> str:
        """An App+User access token of `user`."""
        return str((await self.signed_in(tenant, user, scope))["access_token"])

    async def device_code(self, tenant: str, user: demo.DemoUser, scope: str) -> dict[str, Any]:
        """The device-code grant, the user approving through the emulator's control route."""
        started = await self.http.post(self._url(tenant, "devicecode"), data={"client_id": demo.APP_ID, "scope": scope})
        device = started.json()
        approve = {"user_code": device["user_code"], "aad_id": user.aad_id}
        approved = await self.http.post(f"{self.server.base_url}/_emulator/device/approve", json=approve)
        assert approved.status_code == 200, approved.text
        form = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": device["device_code"]}
        return await self.grant(tenant, form)


def claims(token: str) -> dict[str, Any]:
    """A JWT's claims, unverified."""
    return dict(jwt.decode(token, options={"verify_signature": False}))
